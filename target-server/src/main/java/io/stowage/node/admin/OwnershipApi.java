package io.stowage.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.stowage.node.admin.AdminException.Kind;
import io.stowage.node.ownership.Ownership;
import io.stowage.node.ownership.VolumeOwnership;
import io.stowage.volume.store.Lease;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The admin routes about who serves a volume under leases ({@code node.ownership = lease}): {@code GET
 * /v1/volumes/{name}/owner} and {@code POST /v1/volumes/{name}/move} ({@code {"to": NODE}}, a node name or id),
 * which asks the owner, wherever it runs, to hand the volume over and answers once {@code NODE} serves it.
 */
final class OwnershipApi {
    private OwnershipApi() {
    }

    /**
     * Who holds the volume's lease ({@code owner} null when nobody does), and this node's part: {@code here} is
     * standby, taking, active or releasing (null if this node does not export the volume), with its last change.
     */
    public record OwnerView(String volume, String owner, Integer ownerId, String node, String here, String since) {
    }

    static void add(List<AdminApi.Route> r, Operations ops) {
        r.add(new AdminApi.Route("GET", "/v1/volumes/{name}/owner", (p, b) -> ok(view(ops, p.get("name")))));
        r.add(new AdminApi.Route("POST", "/v1/volumes/{name}/move", (p, b) -> {
            AdminApi.fields(b, java.util.Set.of("to"));
            String to = AdminApi.text(b, "to", true);
            Ownership o = leases(ops);
            String volume = p.get("name");
            ops.volume(volume); // 404 for an unknown volume
            // within the CLI's 120 s request timeout, whatever the lease settings
            long wait = Math.min(o.settings().failoverBound().toMillis() + 30_000, 90_000);
            Optional<Lease.Holder> h;
            try {
                h = o.move(volume, to, wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (h.isEmpty() || !h.get().is(to)) {
                throw new AdminException(Kind.IN_USE, "to", "volume " + volume + " was handed over but node " + to
                        + " did not take it within " + wait / 1000 + " s (is it running, with node.ownership = lease"
                        + " and this volume exported?); " + h.map(x -> "node " + x.nodeName() + " holds it now")
                        .orElse("nobody holds it now; the request lapses and any node may take it"));
            }
            return ok(view(ops, volume));
        }));
    }

    private static AdminApi.Answer ok(Object v) {
        return new AdminApi.Answer(200, v);
    }

    private static Ownership leases(Operations ops) {
        Ownership o = ops.ownership();
        if (o == null) {
            throw AdminException.invalid("name", "this node serves volumes without leases (node.ownership = static):"
                    + " a volume is served by the node its target belongs to");
        }
        return o;
    }

    private static OwnerView view(Operations ops, String volume) throws IOException {
        Ownership o = leases(ops);
        ops.volume(volume); // 404 for an unknown volume
        Optional<Lease.Holder> h = o.holder(volume);
        VolumeOwnership mine = o.of(volume);
        return new OwnerView(volume, h.map(Lease.Holder::nodeName).orElse(null), h.map(Lease.Holder::nodeId)
                .orElse(null), o.node().nodeName(), mine == null ? null : mine.phase().name().toLowerCase(),
                mine == null ? null : mine.lastChange());
    }
}

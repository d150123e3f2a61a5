package io.stowage.iscsi.session;

import io.stowage.iscsi.login.KeyValues;
import io.stowage.iscsi.login.Negotiator;
import io.stowage.iscsi.login.TextKey;
import io.stowage.iscsi.pdu.Bhs;
import io.stowage.iscsi.pdu.TargetPdus;
import io.stowage.iscsi.transport.PduConnection;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Text negotiation in full feature phase (RFC 7143 §6.1, §11.10, §11.11): SendTargets (§13.3, appendix C) is
 * answered, MaxRecvDataSegmentLength may be declared anew (§13.12; it applies once the response is sent), every
 * other key is NotUnderstood or Reject; a response longer than the initiator's
 * MaxRecvDataSegmentLength goes out in parts (C bit), each asked for by a Text Request echoing our TTT.
 *
 * <p>Threads: receive thread only (called in CmdSN order from the session's admission); the pending response is
 * not shared. Responses go out through {@link Connection#send}, which stamps StatSN.
 */
final class TextExchange {
    private static final int RESERVED = Bhs.RESERVED_TAG;

    private final Connection connection;
    private final PduConnection wire;
    private final TargetDirectory directory;
    private final TransferTags tags;
    private byte[] pending;  // a Text Response that did not fit in one PDU
    private int offset;
    private int ttt;

    TextExchange(Connection connection, PduConnection wire, TargetDirectory directory, TransferTags tags) {
        this.connection = connection;
        this.wire = wire;
        this.directory = directory;
        this.tags = tags;
    }

    /** Answers a Text Request: the next part of a pending response if it echoes our TTT, else its keys. */
    void answer(Session session, int mrdsl, int itt, int requestTtt, byte[] text) {
        if (requestTtt != RESERVED && pending != null && requestTtt == ttt) {
            sendChunk(itt, mrdsl);
            return;
        }
        Map<String, String> offered = KeyValues.parse(text);
        Map<String, String> answers = new LinkedHashMap<>();
        StringBuilder targets = new StringBuilder();
        Long[] declared = {null};
        offered.forEach((key, value) -> {
            if (value == null) {
                answers.put(key, "Reject"); // "key" without "=value": malformed (RFC 7143 §6.1), not fatal
            } else if (key.equals("SendTargets")) {
                targets.append(sendTargets(session, value));
            } else if (key.equals(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH.keyName)) {
                declared[0] = Negotiator.number(value, TextKey.MAX_RECV_DATA_SEGMENT_LENGTH);
                if (declared[0] == null) answers.put(key, "Reject"); // out of range: the old limit stays
            } else {
                answers.put(key, TextKey.byName(key) == null ? "NotUnderstood" : "Reject");
            }
        });
        pending = (targets + new String(KeyValues.format(answers), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        offset = 0;
        sendChunk(itt, mrdsl);
        if (declared[0] != null) connection.initiatorDeclared(declared[0].intValue());
    }

    /** SendTargets (§13.3, appendix C): every target in a discovery session, ours in a normal one. */
    private String sendTargets(Session session, String value) {
        StringBuilder sb = new StringBuilder();
        InetAddress local = wire.localAddress().getAddress();
        String host = local instanceof Inet6Address ? "[" + local.getHostAddress() + "]" : local.getHostAddress();
        int port = wire.localAddress().getPort();
        for (ExportedTarget t : directory.all()) {
            if (!t.allows(session.initiatorName())) continue; // an initiator off the ACL does not see the target
            boolean wanted = session.discovery() ? value.equals("All") || value.equals(t.name())
                    : t == session.target() && (value.isEmpty() || value.equals("All") || value.equals(t.name()));
            if (wanted) {
                sb.append("TargetName=").append(t.name()).append('\0');
                sb.append("TargetAddress=").append(host).append(':').append(port).append(',')
                        .append(t.portalGroupTag()).append('\0');
            }
        }
        return sb.toString();
    }

    /** Sends the next part of the response; more than MaxRecvDataSegmentLength continues (C bit, §11.11). */
    private void sendChunk(int itt, int mrdsl) {
        int n = Math.min(pending.length - offset, mrdsl);
        boolean more = offset + n < pending.length;
        ByteBuffer chunk = ByteBuffer.wrap(pending, offset, n).slice();
        offset += n;
        ttt = more ? tags.next() : RESERVED;
        connection.send(TargetPdus.textResponse(itt, ttt, !more, more, chunk), true, null);
        if (!more) {
            pending = null;
        }
    }
}

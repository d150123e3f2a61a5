/**
 * Ceph RADOS backend for the volume engine's object store (sealed SCOs, TLogs and the guarded volume header as
 * RADOS objects). Only the configuration model exists yet; the store itself arrives with the RADOS issue and must
 * pass the engine's object-store contract tests against a real cluster.
 *
 * <p>Threads: {@link io.stowage.rados.RadosBackendConfig} is an immutable value.
 */
package io.stowage.rados;

/**
 * Stowage's own small I/O interface between the iSCSI protocol code and the network library, after mina-sshd's
 * {@code IoHandler}/{@code IoSession}: {@link io.stowage.iscsi.transport.PduConnection} (what the protocol can do
 * to a connection) and {@link io.stowage.iscsi.transport.ConnectionHandler} (what the network tells the
 * protocol). Only {@code transport.mina} imports Apache MINA, so session and login code is tested against an
 * in-memory fake.
 *
 * <p>Threads: handler callbacks for one connection arrive on one thread at a time, in order.
 * {@code PduConnection} methods may be called from any thread.
 */
package io.stowage.iscsi.transport;

/**
 * Sessions and the full feature phase (RFC 7143 §4.2, §11): the CmdSN window and command ordering
 * ({@link io.stowage.target.session.Session}), one connection's PDU dispatch and command intake
 * ({@link io.stowage.target.session.Connection}, {@link io.stowage.target.session.Task},
 * {@link io.stowage.target.session.TaskTable}), Data-Out/R2T assembly
 * ({@link io.stowage.target.session.DataOutCollector}), Data-In generation
 * ({@link io.stowage.target.session.DataInSender}), StatSN sequencing
 * ({@link io.stowage.target.session.StatusSequencer}), Text ({@link io.stowage.target.session.TextExchange}),
 * keepalive ({@link io.stowage.target.session.Keepalive}), task management
 * ({@link io.stowage.target.session.TaskManagement}) and session reinstatement
 * ({@link io.stowage.target.session.SessionRegistry}).
 *
 * <p>Threads: PDUs of a connection arrive on its receive thread; SCSI completions arrive on the block device's
 * I/O threads. Everything that assigns StatSN and queues a PDU runs under the connection's
 * {@code StatusSequencer} lock, so the wire order always matches StatSN order. The CmdSN window is only advanced
 * on the receive thread.
 */
package io.stowage.target.session;

/**
 * Sessions and the full feature phase (RFC 7143 §4.2, §11): the CmdSN window and command ordering
 * ({@link io.stowage.iscsi.session.Session}), one connection's PDU dispatch and command intake
 * ({@link io.stowage.iscsi.session.Connection}, {@link io.stowage.iscsi.session.Task},
 * {@link io.stowage.iscsi.session.TaskTable}), Data-Out/R2T assembly
 * ({@link io.stowage.iscsi.session.DataOutCollector}), Data-In generation
 * ({@link io.stowage.iscsi.session.DataInSender}), StatSN sequencing
 * ({@link io.stowage.iscsi.session.StatusSequencer}), Text ({@link io.stowage.iscsi.session.TextExchange}),
 * keepalive ({@link io.stowage.iscsi.session.Keepalive}), task management
 * ({@link io.stowage.iscsi.session.TaskManagement}) and session reinstatement
 * ({@link io.stowage.iscsi.session.SessionRegistry}).
 *
 * <p>Threads: PDUs of a connection arrive on its receive thread; SCSI completions arrive on the block device's
 * I/O threads. Everything that assigns StatSN and queues a PDU runs under the connection's
 * {@code StatusSequencer} lock, so the wire order always matches StatSN order. The CmdSN window is only advanced
 * on the receive thread.
 */
package io.stowage.iscsi.session;

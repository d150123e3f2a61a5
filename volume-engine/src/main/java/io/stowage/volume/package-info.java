/**
 * The volume engine: what a LUN stores its blocks in.
 *
 * <p>Today this package holds the {@link io.stowage.volume.BlockDevice} contract that the SCSI layer calls and a
 * plain file-backed implementation ({@link io.stowage.volume.FileBlockDevice}) used by the walking skeleton. The
 * log-structured volume (SCOs, TLogs, LMDB metadata) replaces it as the default in a later step; it implements the
 * same interface, so nothing above this package changes.
 *
 * <p>Threads: {@code BlockDevice} methods may be called from any thread and concurrently; they never block the
 * caller on disk I/O but complete their {@code CompletionStage} from the device's I/O executor.
 * This package knows nothing of SCSI or iSCSI.
 */
package io.stowage.volume;

/**
 * The volume engine: what a LUN stores its blocks in.
 *
 * <p>{@link io.stowage.volume.BlockDevice} is the contract the SCSI layer calls. The log-structured volume lives
 * in {@code io.stowage.volume.engine} (Volume, VolumeLoader, ClusterMap, ScoCache, VolumeEngine), its on-disk
 * formats in {@code io.stowage.volume.log} (ClusterLocation, TLogEntry, ObjectNames) and the object store
 * contract with its local-directory implementation in {@code io.stowage.volume.store}.
 *
 * <p>Threads: {@code BlockDevice} methods may be called from any thread and concurrently; they never block the
 * caller on disk I/O but complete their {@code CompletionStage} from the device's I/O executor.
 * This package knows nothing of SCSI or iSCSI.
 */
package io.stowage.volume;

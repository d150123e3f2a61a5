/**
 * The log-structured volume (after the Open vStorage VolumeDriver): SCOs in a local cache, TLogs, the LMDB
 * cluster map with its in-memory overlay, the uploader and recovery. See {@link io.stowage.volume.engine.Volume}
 * for the write/read/flush paths and their locks, {@link io.stowage.volume.engine.VolumeLoader} for recovery.
 * {@code Volume} is a facade over parts with one job each ({@code StripeLocks}, {@code ClusterReader},
 * {@code DirtyBudget}, {@code HeaderCommitter}, {@code Scrubber}, {@code Checkpoints}); each states its threads and
 * lock order, and docs/volume-engine.md ("Parts of a volume") lists them.
 *
 * <p>Threads: a Volume's data methods are safe to call concurrently; each volume has one uploader thread.
 */
package io.stowage.volume.engine;

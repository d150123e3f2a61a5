/**
 * The Distributed Transaction Log (after volumedriver's DTL, on the object store instead of a peer node): what a
 * flush covers and no committed TLog holds yet, kept in the volume's {@code dtl.<epoch>.<index>} objects so that
 * another node can take the volume over after this one is lost without losing an acknowledged flush.
 *
 * <p>A DTL object is a batch of extents of the cache's files: the bytes appended to TLog and SCO files since the
 * previous batch (TLog entries, and the cluster data of the writes they record). {@link DtlWriter} ships one batch
 * per group-commit round; {@link DtlReplay} fences a former owner's DTL and rebuilds its files in a new owner's
 * cache, where the ordinary local recovery takes over. See docs/durability.md and docs/volume-engine.md.
 */
package io.stowage.volume.dtl;

/**
 * The SCSI command set (SPC-4 / SBC-3) on top of a {@link io.stowage.volume.BlockDevice}.
 *
 * <p>Shape, after tgt's {@code sbc.c} and LIO's {@code target_core_spc.c}: one {@link io.stowage.scsi.OpcodeTable}
 * maps each opcode (and service action) to its handler; {@link io.stowage.scsi.ScsiTarget} runs the fixed pipeline
 * gate (LUN) → table lookup → handler; handlers throw {@link io.stowage.scsi.ScsiError} with a
 * {@link io.stowage.scsi.SenseReason}, and only {@link io.stowage.scsi.SenseData} writes sense bytes.
 * This package knows nothing of iSCSI: a fabric hands in a {@link io.stowage.scsi.ScsiRequest} and gets a
 * {@code CompletionStage<ScsiResult>} back.
 *
 * <p>Threads: {@code ScsiTarget.submit} may be called concurrently from many threads; handlers keep no mutable
 * state of their own. Completion happens on the calling thread for metadata commands and on the block device's
 * I/O executor for media commands.
 */
package io.stowage.scsi;

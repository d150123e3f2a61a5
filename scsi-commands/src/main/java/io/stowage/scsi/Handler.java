package io.stowage.scsi;

import java.util.concurrent.CompletionStage;

/** Executes one opcode. May throw {@link ScsiError} synchronously or complete exceptionally with one. */
@FunctionalInterface
public interface Handler {
    CompletionStage<ScsiResult> execute(Command command);
}

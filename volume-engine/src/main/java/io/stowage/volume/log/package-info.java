/**
 * On-disk formats of the log: cluster locations, TLog entries (32 bytes, each with its own CRC), object names.
 *
 * <p>Threads: values are immutable; a TLogWriter is used by one thread at a time.
 */
package io.stowage.volume.log;

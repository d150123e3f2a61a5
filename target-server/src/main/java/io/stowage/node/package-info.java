/**
 * The daemon: reads the one config file ({@link io.stowage.node.StowageConfig}), opens the volumes,
 * builds the SCSI targets and starts the iSCSI portal ({@link io.stowage.node.Daemon}); the command line
 * entry point is {@link io.stowage.node.Main}.
 *
 * <p>Threads: start-up and shutdown run on the main thread and the JVM's shutdown hook.
 */
package io.stowage.node;

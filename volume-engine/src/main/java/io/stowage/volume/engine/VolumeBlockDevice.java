package io.stowage.volume.engine;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** A {@link Volume} as the SCSI layer's {@link BlockDevice}: its blocking calls run on the I/O executor. */
public final class VolumeBlockDevice implements BlockDevice {
    private final Volume volume;
    private final Executor io;

    public VolumeBlockDevice(Volume volume, Executor io) {
        this.volume = volume;
        this.io = io;
    }

    public Volume volume() {
        return volume;
    }

    @Override
    public VolumeInfo info() {
        return volume.info();
    }

    @Override
    public CompletionStage<Void> read(long offset, ByteBuffer dst) {
        return run(() -> volume.read(offset, dst));
    }

    @Override
    public CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
        return run(() -> volume.write(offset, src, fua));
    }

    @Override
    public CompletionStage<Void> flush() {
        return run(volume::flush);
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private CompletionStage<Void> run(IoAction a) {
        return CompletableFuture.runAsync(() -> {
            try {
                a.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
    }

    @Override
    public void close() {
        try {
            volume.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

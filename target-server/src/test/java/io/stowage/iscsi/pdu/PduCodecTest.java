package io.stowage.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Golden bytes, round trips, every split point of a stream, and each malformed case. */
class PduCodecTest {

    /** Collects copies of decoded PDUs (their buffers are only valid during the callback). */
    static final class Collector implements PduDecoder.Sink {
        final List<byte[]> headers = new ArrayList<>();
        final List<byte[]> data = new ArrayList<>();
        final List<byte[]> ahs = new ArrayList<>();
        int digestErrors;

        @Override
        public void onPdu(Pdu pdu) {
            headers.add(pdu.headerCopy());
            byte[] d = new byte[pdu.dataLength()];
            pdu.data().duplicate().get(d);
            data.add(d);
            byte[] a = new byte[pdu.ahs().remaining()];
            pdu.ahs().duplicate().get(a);
            ahs.add(a);
        }

        @Override
        public void onDataDigestError(Pdu pdu) {
            digestErrors++;
        }
    }

    static byte[] wire(PduEncoder enc, Pdu p) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b : enc.encode(p)) {
            byte[] x = new byte[b.remaining()];
            b.get(x);
            out.writeBytes(x);
        }
        return out.toByteArray();
    }

    private static List<Pdu> samples() {
        Random r = new Random(7);
        List<Pdu> list = new ArrayList<>();
        list.add(TargetPdus.nopIn(5, Bhs.RESERVED_TAG, 0, null));
        for (int len : new int[] {1, 2, 3, 4, 5, 511, 4096, 20001, 65536}) {
            byte[] d = new byte[len];
            r.nextBytes(d);
            list.add(TargetPdus.dataIn(len, 0, ByteBuffer.wrap(d), 3, 512, true, true, 0, 0x02, 17));
        }
        Pdu withAhs = new Pdu(ByteBuffer.allocate(48).put(0, (byte) 0x01).put(4, (byte) 2), ByteBuffer.allocate(8)
                .putInt(0, 0x12345678).putInt(4, 0x9abcdef0), ByteBuffer.wrap(new byte[] {1, 2, 3}));
        list.add(withAhs);
        return list;
    }

    @Test
    void crc32cMatchesRfc3720TestVectors() {
        // RFC 3720 appendix B.4: 32 bytes of zeros, of 0xff, and an ascending sequence
        assertEquals(0x8a9136aa, Digest.crc32c(ByteBuffer.wrap(new byte[32]), 0));
        byte[] ff = new byte[32];
        java.util.Arrays.fill(ff, (byte) 0xff);
        assertEquals(0x62a8ab43, Digest.crc32c(ByteBuffer.wrap(ff), 0));
        byte[] inc = new byte[32];
        for (int i = 0; i < 32; i++) inc[i] = (byte) i;
        assertEquals(0x46dd794e, Digest.crc32c(ByteBuffer.wrap(inc), 0));
        ByteBuffer b = ByteBuffer.allocate(4);
        Digest.write(b, 0, 0x8a9136aa);
        assertArrayEquals(new byte[] {(byte) 0xaa, 0x36, (byte) 0x91, (byte) 0x8a}, b.array(), "LSB first on the wire");
    }

    @Test
    void goldenScsiResponseBytes() {
        Pdu p = TargetPdus.scsiResponse(0x01020304, 0x02, 0x02, 512, 1, new byte[] {0x70, 0, 5});
        TargetPdus.stampSequence(p, 10, 20, 30);
        byte[] w = wire(new PduEncoder(), p);
        assertEquals(48 + 8, w.length, "2-byte sense length + 3 bytes + 3 padding");
        assertEquals(0x21, w[0]);
        assertEquals((byte) 0x82, w[1], "final bit + underflow");
        assertEquals(0x02, w[3]);
        assertEquals(5, w[7], "DataSegmentLength");
        assertEquals(ByteBuffer.wrap(w).getInt(16), 0x01020304);
        assertEquals(ByteBuffer.wrap(w).getInt(24), 10);
        assertEquals(ByteBuffer.wrap(w).getInt(44), 512);
        assertArrayEquals(new byte[] {0, 3, 0x70, 0, 5, 0, 0, 0}, java.util.Arrays.copyOfRange(w, 48, 56));
    }

    @Test
    void roundTripWithAndWithoutDigests() throws Exception {
        for (boolean digests : new boolean[] {false, true}) {
            PduEncoder enc = new PduEncoder();
            enc.setDigests(digests, digests);
            Collector c = new Collector();
            PduDecoder dec = new PduDecoder(1 << 20, c);
            dec.setDigests(digests, digests);
            List<Pdu> in = samples();
            for (Pdu p : in) {
                dec.feed(ByteBuffer.wrap(wire(enc, p)));
            }
            assertEquals(in.size(), c.headers.size());
            for (int i = 0; i < in.size(); i++) {
                assertArrayEquals(in.get(i).headerCopy(), c.headers.get(i));
                byte[] d = new byte[in.get(i).dataLength()];
                in.get(i).data().duplicate().get(d);
                assertArrayEquals(d, c.data.get(i));
            }
            assertArrayEquals(new byte[] {0x12, 0x34, 0x56, 0x78, (byte) 0x9a, (byte) 0xbc, (byte) 0xde, (byte) 0xf0},
                    c.ahs.get(in.size() - 1));
        }
    }

    @Test
    void streamSplitAtEveryByteDecodesTheSame() throws Exception {
        PduEncoder enc = new PduEncoder();
        enc.setDigests(true, true);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<Pdu> in = List.of(samples().get(0), samples().get(3), samples().get(4), samples().get(1));
        for (Pdu p : in) {
            stream.writeBytes(wire(enc, p));
        }
        byte[] all = stream.toByteArray();
        for (int split = 0; split <= all.length; split++) {
            Collector c = new Collector();
            PduDecoder dec = new PduDecoder(1 << 20, c);
            dec.setDigests(true, true);
            dec.feed(ByteBuffer.wrap(all, 0, split));
            dec.feed(ByteBuffer.wrap(all, split, all.length - split));
            assertEquals(in.size(), c.headers.size(), "split at " + split);
            assertEquals(0, c.digestErrors);
            assertFalse(dec.hasPartialPdu());
        }
        Collector c = new Collector();
        PduDecoder dec = new PduDecoder(1 << 20, c);
        dec.setDigests(true, true);
        for (byte b : all) {
            dec.feed(ByteBuffer.wrap(new byte[] {b}));
        }
        assertEquals(in.size(), c.headers.size(), "byte by byte");
    }

    /**
     * While a PDU is delivered the decoder says whether more bytes came with it: three PDUs in one buffer, the
     * first two with more behind them; one buffer split inside the third PDU, the second with a partial PDU behind.
     */
    @Test
    void aDeliveryKnowsWhetherMoreWasReceivedWithIt() throws Exception {
        PduEncoder enc = new PduEncoder();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i : new int[] {0, 3, 1}) stream.writeBytes(wire(enc, samples().get(i)));
        byte[] all = stream.toByteArray();
        List<Boolean> more = new ArrayList<>();
        PduDecoder[] dec = new PduDecoder[1];
        dec[0] = new PduDecoder(1 << 20, new PduDecoder.Sink() {
            @Override
            public void onPdu(Pdu pdu) {
                more.add(dec[0].moreBuffered());
            }

            @Override
            public void onDataDigestError(Pdu pdu) {
            }
        });
        dec[0].feed(ByteBuffer.wrap(all));
        assertEquals(List.of(true, true, false), more);
        assertFalse(dec[0].moreBuffered(), "outside a delivery");
        more.clear();
        dec[0].feed(ByteBuffer.wrap(all, 0, all.length - 2));
        dec[0].feed(ByteBuffer.wrap(all, all.length - 2, 2));
        assertEquals(List.of(true, true, false), more);
    }

    @Test
    void truncatedStreamLeavesAPartialPduAndDeliversNothing() throws Exception {
        byte[] w = wire(new PduEncoder(), samples().get(3));
        Collector c = new Collector();
        PduDecoder dec = new PduDecoder(1 << 20, c);
        dec.feed(ByteBuffer.wrap(w, 0, w.length - 1));
        assertTrue(c.headers.isEmpty());
        assertTrue(dec.hasPartialPdu());
    }

    @Test
    void dataSegmentAboveTheLimitIsAProtocolError() {
        byte[] w = wire(new PduEncoder(), samples().get(8)); // 20001 bytes of data
        PduDecoder dec = new PduDecoder(8192, new Collector());
        PduFormatException e = assertThrows(PduFormatException.class, () -> dec.feed(ByteBuffer.wrap(w, 0, 48)));
        assertEquals(RejectReason.PROTOCOL_ERROR, e.reason());
        assertNotNull(e.header(), "the Reject echoes the header");
    }

    @Test
    void headerDigestMismatchIsFatalDataDigestMismatchRejectsOnePdu() throws Exception {
        PduEncoder enc = new PduEncoder();
        enc.setDigests(true, true);
        byte[] bad = wire(enc, samples().get(3));
        bad[49] ^= 1; // header digest
        PduDecoder dec = new PduDecoder(1 << 20, new Collector());
        dec.setDigests(true, true);
        assertThrows(PduFormatException.class, () -> dec.feed(ByteBuffer.wrap(bad)));

        byte[] badData = wire(enc, samples().get(3));
        badData[52] ^= 1; // first data byte
        Collector c = new Collector();
        PduDecoder dec2 = new PduDecoder(1 << 20, c);
        dec2.setDigests(true, true);
        dec2.feed(ByteBuffer.wrap(badData));
        dec2.feed(ByteBuffer.wrap(wire(enc, samples().get(0))));
        assertEquals(1, c.digestErrors);
        assertEquals(1, c.headers.size(), "the stream goes on after a data digest error");
    }

    @Test
    void largeDataIsNotCopiedIntoTheHeaderBuffer() {
        byte[] d = new byte[100_000];
        Pdu p = TargetPdus.dataIn(1, 0, ByteBuffer.wrap(d), 0, 0, true, false, 0, 0, 0);
        ByteBuffer[] parts = new PduEncoder().encode(p);
        assertEquals(2, parts.length);
        assertEquals(48, parts[0].remaining());
        assertSame(d, parts[1].array(), "data goes out from the caller's buffer");
    }
}

package io.stowage.it.fuzz;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Randomised CDBs for the commands Stowage implements and a few it does not: LBAs at the edges (0, the last
 * block, one past the end, 2^32, 2^63, -1), transfer lengths of 0, 1, odd and huge, an EDTL that matches or not,
 * random service actions and control bytes, and parameter data (UNMAP descriptors, PR keys, XCOPY lists, ...).
 */
final class CdbFuzz {
    private static final int[] OPCODES = {
        0x00, 0x03, 0x12, 0x12, 0x1A, 0x5A, 0x25, 0x9E, 0x08, 0x0A, 0x28, 0x28, 0x2A, 0x2A, 0xA8, 0xAA, 0x88, 0x88,
        0x8A, 0x8A, 0x8A, 0x2F, 0x8F, 0x41, 0x93, 0x42, 0x35, 0x91, 0x89, 0xA0, 0x16, 0x17, 0x56, 0x57, 0x5E,
        0x5F, 0x1B, 0xA3, 0x83, 0x84, 0x15, 0x55, 0x1D, 0x1C, 0x4D, 0x04, 0x7F, 0xC0, 0xFF, 0x2E, 0x8E, 0x9F};

    record Command(byte[] cdb, boolean read, boolean write, int edtl, Random rnd) {
        /** Data-Out for this command: structured where the command has a parameter list, else random. */
        byte[] payload(int n) {
            if (n <= 0) {
                return null;
            }
            byte[] d = new byte[n];
            rnd.nextBytes(d);
            int op = cdb[0] & 0xFF;
            ByteBuffer b = ByteBuffer.wrap(d);
            if (op == 0x42 && n >= 24 && rnd.nextBoolean()) { // UNMAP: header + descriptors
                int descriptors = (n - 8) / 16;
                b.putShort(0, (short) (6 + descriptors * 16)).putShort(2, (short) (descriptors * 16));
                for (int i = 0; i < descriptors; i++) {
                    b.putLong(8 + i * 16, lba(rnd, FuzzWorker.CAPACITY_BLOCKS)).putInt(16 + i * 16, blocks(rnd));
                }
            } else if (op == 0x5F && n >= 24 && rnd.nextBoolean()) { // PR OUT: small keys, flags
                b.putLong(0, rnd.nextInt(4)).putLong(8, rnd.nextInt(4));
            } else if (op == 0x83 && n >= 16 && rnd.nextBoolean()) { // XCOPY: plausible header lengths
                b.putShort(2, (short) (rnd.nextInt(3) * 32)).putInt(8, rnd.nextInt(3) * 28).putInt(12, 0);
            }
            return d;
        }
    }

    private CdbFuzz() {
    }

    static Command next(Random rnd, int capacity) {
        int op = OPCODES[rnd.nextInt(OPCODES.length)];
        if (rnd.nextInt(40) == 0) {
            op = rnd.nextInt(256);
        }
        ByteBuffer c = ByteBuffer.allocate(16);
        c.put(0, (byte) op);
        long lba = lba(rnd, capacity);
        int blocks = blocks(rnd);
        boolean read = false;
        boolean write = false;
        int bytes;
        switch (op) {
            case 0x08, 0x0A -> { // 6-byte: 21-bit LBA, 8-bit length (0 = 256)
                c.put(1, (byte) ((lba >>> 16) & 0x1F)).putShort(2, (short) lba).put(4, (byte) blocks);
                bytes = ((blocks & 0xFF) == 0 ? 256 : blocks & 0xFF) * 512;
                read = op == 0x08;
                write = op == 0x0A;
            }
            case 0x28, 0x2A, 0x2F, 0x41, 0x35, 0x2E -> { // 10-byte
                c.putInt(2, (int) lba).putShort(7, (short) blocks);
                bytes = (blocks & 0xFFFF) * 512;
                read = op == 0x28;
                write = op == 0x2A || op == 0x2E || (op == 0x41 || op == 0x2F) && rnd.nextBoolean();
                if (op == 0x41) {
                    bytes = 512;
                } else if (op == 0x35) {
                    bytes = 0;
                }
            }
            case 0xA8, 0xAA -> {
                c.putInt(2, (int) lba).putInt(6, blocks);
                bytes = blocks * 512;
                read = op == 0xA8;
                write = op == 0xAA;
            }
            case 0x88, 0x8A, 0x8F, 0x93, 0x91, 0x8E -> { // 16-byte
                c.putLong(2, lba).putInt(10, blocks);
                bytes = blocks * 512;
                read = op == 0x88;
                write = op == 0x8A || op == 0x8E || (op == 0x93 || op == 0x8F) && rnd.nextBoolean();
                if (op == 0x93) {
                    bytes = 512;
                } else if (op == 0x91) {
                    bytes = 0;
                }
            }
            case 0x89 -> { // COMPARE AND WRITE: NUMBER OF LOGICAL BLOCKS in byte 13, data = 2 x that
                c.putLong(2, lba).put(13, (byte) (rnd.nextInt(4)));
                bytes = 2 * (c.get(13) & 0xFF) * 512;
                write = true;
            }
            case 0x42 -> { // UNMAP
                int len = 8 + 16 * rnd.nextInt(4);
                c.putShort(7, (short) len);
                bytes = len;
                write = true;
            }
            case 0x12 -> { // INQUIRY, maybe a VPD page
                if (rnd.nextBoolean()) {
                    int[] pages = {0x00, 0x80, 0x83, 0x86, 0xB0, 0xB1, 0xB2, 0x8F, 0x55};
                    c.put(1, (byte) 1).put(2, (byte) pages[rnd.nextInt(pages.length)]);
                }
                bytes = allocation(rnd);
                c.putShort(3, (short) bytes);
                read = true;
            }
            case 0x9E, 0x5E, 0xA3, 0x84 -> { // service-action IN commands
                c.put(1, (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(32) : op == 0x9E ? 0x10 : op == 0xA3 ? 0x0C
                        : rnd.nextInt(4)));
                bytes = allocation(rnd);
                if (op == 0x5E) {
                    c.putShort(7, (short) bytes);
                } else {
                    c.putInt(op == 0x84 ? 10 : 6, bytes);
                }
                if (op == 0xA3) {
                    c.put(2, (byte) rnd.nextInt(4)).put(3, (byte) OPCODES[rnd.nextInt(OPCODES.length)]);
                }
                read = true;
            }
            case 0x5F, 0x83 -> { // PERSISTENT RESERVE OUT, EXTENDED COPY: parameter list out
                c.put(1, (byte) rnd.nextInt(op == 0x5F ? 9 : 2)).put(2, (byte) rnd.nextInt(9));
                bytes = op == 0x5F ? 24 : 16 + 32 * rnd.nextInt(3) + 28 * rnd.nextInt(2);
                if (op == 0x5F) {
                    c.putInt(5, bytes);
                } else {
                    c.putInt(10, bytes);
                }
                write = true;
            }
            case 0x1A, 0x5A, 0x03, 0x25, 0xA0, 0x1C, 0x4D -> {
                c.put(2, (byte) rnd.nextInt(256));
                bytes = allocation(rnd);
                if (op == 0x5A || op == 0x4D) {
                    c.putShort(7, (short) bytes);
                } else if (op == 0xA0) {
                    c.putInt(6, bytes);
                } else if (op == 0x25) {
                    bytes = 8;
                } else {
                    c.put(4, (byte) bytes);
                    bytes &= 0xFF;
                }
                read = true;
            }
            case 0x15, 0x55, 0x1D -> { // MODE SELECT, SEND DIAGNOSTIC
                bytes = rnd.nextInt(64);
                if (op == 0x55) {
                    c.putShort(7, (short) bytes);
                } else {
                    c.put(4, (byte) bytes);
                }
                c.put(1, (byte) (rnd.nextInt(256)));
                write = bytes > 0;
            }
            default -> { // anything else: random bytes after the opcode
                for (int i = 1; i < 16; i++) {
                    c.put(i, (byte) rnd.nextInt(256));
                }
                bytes = rnd.nextBoolean() ? 0 : allocation(rnd);
                read = rnd.nextBoolean();
                write = !read && rnd.nextBoolean();
            }
        }
        if (rnd.nextInt(12) == 0) { // a random control byte / reserved bits
            c.put(rnd.nextInt(16), (byte) rnd.nextInt(256));
        }
        int edtl = switch (rnd.nextInt(20)) {
            case 0 -> 0;
            case 1 -> bytes + 512 * (1 + rnd.nextInt(4));
            case 2 -> Math.max(0, bytes - 1 - rnd.nextInt(512));
            case 3 -> rnd.nextInt(1 << 20);
            case 4 -> rnd.nextInt(50) == 0 ? (16 << 20) + rnd.nextInt(3) - 1 : 65536;
            default -> bytes;
        };
        // keep reads and writes of the fuzzer within 1 MiB mostly: the point is the paths, not bandwidth
        if (edtl > (1 << 20) && rnd.nextInt(20) != 0) {
            edtl = 1 << 20;
        }
        if (rnd.nextInt(15) == 0) { // direction bits that do not match the command
            read = rnd.nextBoolean();
            write = rnd.nextBoolean();
        }
        return new Command(c.array(), read, write, Math.max(0, edtl), rnd);
    }

    static long lba(Random rnd, int capacity) {
        return switch (rnd.nextInt(12)) {
            case 0 -> 0;
            case 1 -> capacity - 1;
            case 2 -> capacity;
            case 3 -> capacity + 1;
            case 4 -> capacity - 1 - rnd.nextInt(64);
            case 5 -> 0xFFFFFFFFL;
            case 6 -> 1L << 32;
            case 7 -> Long.MIN_VALUE;
            case 8 -> -1;
            case 9 -> rnd.nextLong();
            default -> rnd.nextInt(capacity);
        };
    }

    static int blocks(Random rnd) {
        return switch (rnd.nextInt(12)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> 65535;
            case 3 -> Integer.MAX_VALUE;
            case 4 -> -1;
            case 5 -> 8193;
            default -> 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 256);
        };
    }

    private static int allocation(Random rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1 + rnd.nextInt(8);
            case 2 -> 65535;
            default -> 36 + rnd.nextInt(512);
        };
    }

    /** A LUN field other than plain LUN 0: other LUNs, flat space, well-known, extended addressing, garbage. */
    static long lunField(Random rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> RawPdu.lun(1);
            case 1 -> RawPdu.lun(255);
            case 2 -> (0x4000L | rnd.nextInt(0x4000)) << 48; // flat space addressing
            case 3 -> 0xC101L << 48;                          // well-known LUN (REPORT LUNS)
            case 4 -> 1L;                                       // second-level addressing
            default -> rnd.nextLong();
        };
    }
}

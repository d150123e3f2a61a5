package io.stowage.scsi;

/**
 * The decoded addressing fields of a block command (READ/WRITE/VERIFY/SYNCHRONIZE CACHE, SBC-3 5.x), read from
 * the 6-, 10-, 12- or 16-byte layout its opcode implies. A pure function of the CDB, so it is table-tested
 * without a volume.
 *
 * @param lba     first logical block
 * @param blocks  number of blocks (READ/WRITE(6) length 0 means 256, SBC-3 5.8)
 * @param flags   CDB byte 1 (protect field, DPO, FUA, BYTCHK ...); zero for the 6-byte forms
 */
record BlockCdb(long lba, long blocks, int flags) {
    static BlockCdb parse(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        return switch (op >>> 5) {
            case 0 -> { // 6-byte: 21-bit LBA
                int n = Cdb.u8(cdb, 4);
                yield new BlockCdb(Cdb.u24(cdb, 1) & 0x1FFFFF, n == 0 ? 256 : n, 0);
            }
            case 1 -> new BlockCdb(Cdb.u32(cdb, 2), Cdb.u16(cdb, 7), Cdb.u8(cdb, 1));   // 10-byte
            case 5 -> new BlockCdb(Cdb.u32(cdb, 2), Cdb.u32(cdb, 6), Cdb.u8(cdb, 1));   // 12-byte
            case 4 -> new BlockCdb(Cdb.u64(cdb, 2), Cdb.u32(cdb, 10), Cdb.u8(cdb, 1));  // 16-byte
            default -> throw new IllegalArgumentException("not a block command: " + op);
        };
    }

    /** FUA (bit 3 of byte 1); WRITE AND VERIFY has no FUA bit and always reaches the medium before GOOD. */
    boolean fua() {
        return (flags & 0x08) != 0;
    }

    /** RDPROTECT / WRPROTECT / VRPROTECT: bits 7-5 of byte 1. */
    int protect() {
        return flags >>> 5;
    }

    /** BYTCHK of VERIFY: bits 2-1 of byte 1. */
    int byteCheck() {
        return (flags >>> 1) & 0x03;
    }

    long byteOffset() {
        return lba * LogicalUnit.BLOCK_SIZE;
    }

    /** SBC-3 4.5: the range must lie inside the medium; computed without overflow for any 64-bit LBA. */
    void checkRange(long capacityBlocks) {
        if (Long.compareUnsigned(lba, capacityBlocks) > 0 || blocks > capacityBlocks - lba) {
            throw ScsiError.of(SenseReason.LBA_OUT_OF_RANGE);
        }
    }
}

/*
 * The multipath guest's writer (built static on the host by multipath-test.sh, run in the guest).
 *   mpath-writer write DEV STATE SECONDS STOPFILE [N]  write checksummed blocks one after the other from the start
 *                                                   of the device, N pwrites (default 1) then an fsync, until
 *                                                   SECONDS passed or STOPFILE exists; any error ends it with "FAIL"
 *   mpath-writer verify DEV STATE                   read every block STATE says an fsync acknowledged and check it
 * Blocks are BS bytes, written and read with O_DIRECT (the page cache is never what is verified). A block holds a
 * header (magic, block number, sequence number, CRC32 of the payload) and a payload generated from the sequence
 * number, so a verify checks the CRC and regenerates the payload. Block n gets write n: nothing is ever overwritten,
 * so a verify checks every write that was ever acknowledged (a write lost in a failover cannot hide under a later
 * one); reaching the end of the device is a FAIL (give the test a bigger volume). STATE (a file in the guest's RAM)
 * keeps the number of acknowledged writes; a later "write" continues after them.
 * A write counts as acknowledged once the fsync after it returned. Every round's latency (N pwrites + fsync) is
 * measured: the longest one, and when it started, is the guest-side failover time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define BS 65536
#define MAGIC 0x53544f5741474531ULL /* "STOWAGE1" */

struct header {
    uint64_t magic;
    uint64_t block;
    uint64_t seq;
    uint32_t crc;
    uint32_t pad;
};

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void fill(unsigned char *buf, uint64_t block, uint64_t seq) {
    struct header *h = (struct header *) buf;
    uint64_t x = seq * 0x9E3779B97F4A7C15ULL ^ (block + 1) * 0xC2B2AE3D27D4EB4FULL;
    for (size_t i = sizeof *h; i < BS; i += 8) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
    h->magic = MAGIC;
    h->block = block;
    h->seq = seq;
    h->pad = 0;
    h->crc = crc32(buf + sizeof *h, BS - sizeof *h);
}

static double now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* the number of acknowledged writes (0 without a state file) */
static uint64_t load(const char *path) {
    unsigned long long n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    if (fscanf(f, "%llu", &n) != 1) n = 0;
    fclose(f);
    return n;
}

static int save(const char *path, uint64_t acked) {
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%llu\n", (unsigned long long) acked) < 0 || fclose(f) != 0) return -1;
    return 0;
}

/* blocks of a block device, or of a file (a test run on the host) */
static uint64_t blocks_of(int fd) {
    uint64_t bytes = 0;
    struct stat st;
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) bytes = fstat(fd, &st) == 0 ? (uint64_t) st.st_size : 0;
    return bytes / BS;
}

static int write_phase(const char *dev, const char *state, double seconds, const char *stop, int batch) {
    unsigned char *buf;
    uint64_t acked = load(state), seq = acked, writes = 0, before_max = 0;
    if (posix_memalign((void **) &buf, 4096, BS)) return 2;
    int fd = open(dev, O_RDWR | O_DIRECT);
    if (fd < 0) { printf("FAIL writer: open %s: %s\n", dev, strerror(errno)); return 1; }
    uint64_t nblocks = blocks_of(fd);
    double t0 = now(CLOCK_MONOTONIC), last_report = t0, max = 0, max_at = 0, max_wall = 0, max_write = 0;
    int rc = 0;
    printf("WRITER start seq=%llu, %d write(s) per fsync\n", (unsigned long long) seq + 1, batch);
    fflush(stdout);
    while (rc == 0 && now(CLOCK_MONOTONIC) - t0 < seconds && access(stop, F_OK) != 0) {
        double s = now(CLOCK_MONOTONIC), wall = now(CLOCK_REALTIME);
        for (int i = 0; i < batch; i++) {
            uint64_t b = seq;
            if (b >= nblocks) {
                printf("FAIL writer: reached the end of the device (%llu blocks of %d bytes)\n",
                       (unsigned long long) nblocks, BS);
                rc = 1; break;
            }
            seq++;
            fill(buf, b, seq);
            ssize_t n = pwrite(fd, buf, BS, (off_t) b * BS);
            if (n != BS) {
                printf("FAIL writer: pwrite of block %llu (seq %llu) returned %zd: %s\n", (unsigned long long) b,
                       (unsigned long long) seq, n, n < 0 ? strerror(errno) : "short write");
                rc = 1; break;
            }
        }
        if (rc) break;
        double w = now(CLOCK_MONOTONIC);
        if (fsync(fd) != 0) {
            printf("FAIL writer: fsync after block %llu (seq %llu): %s\n", (unsigned long long) seq - 1,
                   (unsigned long long) seq, strerror(errno));
            rc = 1; break;
        }
        double e = now(CLOCK_MONOTONIC);
        writes += seq - acked;
        if (e - s > max) { max = e - s; max_at = s - t0; max_wall = wall; before_max = acked; max_write = w - s; }
        acked = seq; /* only now: a write counts once the fsync after it returned */
        if (e - last_report >= 5) {
            printf("WRITER t=%.0fs writes=%llu longest=%.0fms\n", e - t0, (unsigned long long) writes, max * 1000);
            fflush(stdout);
            last_report = e;
        }
    }
    close(fd);
    if (save(state, acked) != 0) { printf("FAIL writer: cannot save %s\n", state); return 1; }
    printf("WRITER done writes=%llu seconds=%.1f longest_stall_ms=%.0f at_s=%.1f at_wall=%.3f acked_before=%llu"
           " pwrite_ms=%.0f fsync_ms=%.0f\n", (unsigned long long) writes, now(CLOCK_MONOTONIC) - t0, max * 1000,
           max_at, max_wall, (unsigned long long) before_max, max_write * 1000, (max - max_write) * 1000);
    fflush(stdout);
    return rc;
}

static int verify_phase(const char *dev, const char *state) {
    unsigned char *buf, *want;
    uint64_t acked = load(state), bad = 0, checked = 0, first_bad = 0, last_bad = 0;
    if (posix_memalign((void **) &buf, 4096, BS) || posix_memalign((void **) &want, 4096, BS)) return 2;
    int fd = open(dev, O_RDONLY | O_DIRECT);
    if (fd < 0) { printf("FAIL verify: open %s: %s\n", dev, strerror(errno)); return 1; }
    for (uint64_t b = 0; b < acked; b++) {
        uint64_t seq = b + 1;
        ssize_t n = pread(fd, buf, BS, (off_t) b * BS);
        if (n != BS) { printf("FAIL verify: read of block %llu: %s\n", (unsigned long long) b, strerror(errno)); bad++; continue; }
        struct header *h = (struct header *) buf;
        fill(want, b, seq);
        checked++;
        if (h->magic != MAGIC || h->block != b || h->seq != seq
                || h->crc != crc32(buf + sizeof *h, BS - sizeof *h) || memcmp(buf, want, BS) != 0) {
            if (!bad) first_bad = b;
            last_bad = b;
            if (bad < 10)
                printf("VERIFY bad block %llu holds seq %llu (magic %s, crc %s), its acknowledged write was seq %llu\n",
                       (unsigned long long) b, (unsigned long long) h->seq, h->magic == MAGIC ? "ok" : "bad",
                       h->crc == crc32(buf + sizeof *h, BS - sizeof *h) ? "ok" : "bad",
                       (unsigned long long) seq);
            bad++;
        }
    }
    close(fd);
    if (bad) printf("VERIFY bad: blocks from %llu to %llu (writes %llu to %llu)\n", (unsigned long long) first_bad,
                    (unsigned long long) last_bad, (unsigned long long) first_bad + 1, (unsigned long long) last_bad + 1);
    printf("VERIFY blocks=%llu bad=%llu\n", (unsigned long long) checked, (unsigned long long) bad);
    return bad ? 1 : 0;
}

int main(int argc, char **argv) {
    crc_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if ((argc == 6 || argc == 7) && !strcmp(argv[1], "write"))
        return write_phase(argv[2], argv[3], atof(argv[4]), argv[5], argc == 7 ? atoi(argv[6]) : 1);
    if (argc == 4 && !strcmp(argv[1], "verify")) return verify_phase(argv[2], argv[3]);
    fprintf(stderr, "usage: mpath-writer write DEV STATE SECONDS STOPFILE [WRITES_PER_FSYNC] | verify DEV STATE\n");
    return 2;
}

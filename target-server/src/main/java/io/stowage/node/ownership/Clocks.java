package io.stowage.node.ownership;

/**
 * The two clocks the leases use: a monotonic one for this node's own deadlines (when to renew, when to stop
 * serving) and the wall clock for deadlines other nodes read (a move request's). Tests substitute both.
 */
public interface Clocks {
    long nanos();

    long wallMillis();

    Clocks SYSTEM = new Clocks() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }
    };
}

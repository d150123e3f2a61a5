package io.stowage.iscsi.session;

/** 32-bit serial number arithmetic for CmdSN, StatSN and DataSN (RFC 7143 §4.2.2.1, RFC 1982). */
final class SerialNumber {
    private SerialNumber() {
    }

    static boolean lessThan(int a, int b) {
        return a != b && (a - b) < 0;
    }

    static boolean lessOrEqual(int a, int b) {
        return a == b || lessThan(a, b);
    }
}

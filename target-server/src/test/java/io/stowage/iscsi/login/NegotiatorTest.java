package io.stowage.iscsi.login;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NegotiatorTest {
    private static LinkedHashMap<String, String> offer(String... kv) {
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void eachRuleOfRfc7143Section6() {
        Negotiator n = new Negotiator(Map.of());
        Map<String, String> a = n.negotiate(offer(
                "HeaderDigest", "CRC32C,None",       // list: first one we support
                "MaxBurstLength", "1048576",         // min
                "FirstBurstLength", "0x100000",      // min, hex accepted
                "DefaultTime2Wait", "0",             // max
                "InitialR2T", "Yes",                 // OR
                "ImmediateData", "No",               // AND
                "MaxRecvDataSegmentLength", "65536", // declarative: no answer
                "X-com.example.Foo", "1",            // extension we do not know
                "Bogus", "1",
                "MaxConnections", "seven",
                "IFMarkInt", "2048",
                "OFMarker", "Yes"));
        assertEquals("CRC32C", a.get("HeaderDigest"));
        assertEquals("1048576", a.get("MaxBurstLength"));
        assertEquals("262144", a.get("FirstBurstLength"));
        assertEquals("2", a.get("DefaultTime2Wait"));
        assertEquals("Yes", a.get("InitialR2T"));
        assertEquals("No", a.get("ImmediateData"));
        assertFalse(a.containsKey("MaxRecvDataSegmentLength"));
        assertEquals("NotUnderstood", a.get("X-com.example.Foo"));
        assertEquals("NotUnderstood", a.get("Bogus"));
        assertEquals("Reject", a.get("MaxConnections"));
        assertEquals("Irrelevant", a.get("IFMarkInt"));
        assertEquals("No", a.get("OFMarker"));
        SessionParameters p = n.parameters();
        assertTrue(p.headerDigest());
        assertFalse(p.dataDigest());
        assertTrue(p.initialR2T());
        assertFalse(p.immediateData());
        assertEquals(65536, p.initiatorMaxRecvDataSegmentLength());
        assertEquals(262144, p.firstBurstLength());
    }

    @Test
    void outOfRangeAndUnsupportedValuesAreRejected() {
        Negotiator n = new Negotiator(Map.of(TextKey.HEADER_DIGEST, "None"));
        Map<String, String> a = n.negotiate(offer("HeaderDigest", "CRC32C", "MaxBurstLength", "100",
                "ErrorRecoveryLevel", "2", "InitialR2T", "maybe"));
        assertEquals("Reject", a.get("HeaderDigest"));
        assertEquals("Reject", a.get("MaxBurstLength"));
        assertEquals("0", a.get("ErrorRecoveryLevel"));
        assertEquals("Reject", a.get("InitialR2T"));
    }

    @Test
    void defaultsApplyWhenNothingIsNegotiated() {
        SessionParameters p = new Negotiator(Map.of()).parameters();
        assertEquals(8192, p.initiatorMaxRecvDataSegmentLength());
        assertEquals(262144, p.maxBurstLength());
        assertEquals(65536, p.firstBurstLength());
        assertTrue(p.initialR2T());
        assertTrue(p.immediateData());
        assertFalse(p.headerDigest());
    }

    @Test
    void keyValueTextFormat() {
        byte[] t = "A=1\0B=x,y\0C\0".getBytes();
        Map<String, String> m = KeyValues.parse(t);
        assertEquals("1", m.get("A"));
        assertEquals("x,y", m.get("B"));
        assertTrue(m.containsKey("C"));
        assertNull(m.get("C"));
        assertArrayEquals("A=1\0".getBytes(), KeyValues.format(offer("A", "1")));
    }

    /** RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength, in the answer too, whatever the order. */
    @Test
    void theFirstBurstAnsweredNeverExceedsTheMaxBurst() {
        Map<String, String> a = new Negotiator(Map.of()).negotiate(offer("FirstBurstLength", "262144",
                "MaxBurstLength", "65536"));
        assertEquals("65536", a.get("MaxBurstLength"));
        assertEquals("65536", a.get("FirstBurstLength"));
        Negotiator n = new Negotiator(Map.of());
        Map<String, String> b = n.negotiate(offer("MaxBurstLength", "16384", "FirstBurstLength", "65536"));
        assertEquals("16384", b.get("FirstBurstLength"));
        assertEquals(16384, n.parameters().firstBurstLength());
    }

    /**
     * RFC 7143 §13.10, 13.11, 13.13, 13.14, 13.17-13.19 (and §13.2's MaxConnections): keys that mean nothing in a
     * discovery session are answered Irrelevant there and not negotiated, whether SessionType comes before or
     * after them; in a normal session the same offer is negotiated.
     */
    @Test
    void keysIrrelevantToDiscoveryAreAnsweredIrrelevantThere() {
        String[] keys = {"MaxConnections", "1", "InitialR2T", "No", "ImmediateData", "Yes", "MaxBurstLength",
                "262144", "FirstBurstLength", "65536", "MaxOutstandingR2T", "1", "DataPDUInOrder", "Yes",
                "DataSequenceInOrder", "Yes"};
        LinkedHashMap<String, String> after = offer(keys);
        after.put("SessionType", "Discovery");
        LinkedHashMap<String, String> before = offer("SessionType", "Discovery");
        before.putAll(offer(keys));
        for (LinkedHashMap<String, String> o : java.util.List.of(after, before)) {
            Negotiator n = new Negotiator(Map.of());
            Map<String, String> a = n.negotiate(o);
            for (int i = 0; i < keys.length; i += 2) {
                assertEquals("Irrelevant", a.get(keys[i]), keys[i] + " in " + o.keySet());
                assertNull(n.result(TextKey.byName(keys[i])), keys[i] + " must not be negotiated");
            }
        }
        // later requests of the same discovery login too
        Negotiator n = new Negotiator(Map.of());
        n.negotiate(offer("SessionType", "Discovery", "InitiatorName", "iqn.x"));
        assertEquals("Irrelevant", n.negotiate(offer("MaxBurstLength", "65536")).get("MaxBurstLength"));
        assertTrue(n.negotiate(offer("MaxRecvDataSegmentLength", "65536")).isEmpty(), "declared, not answered");
        assertEquals("65536", n.result(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH), "declarations still count there");
        Map<String, String> normal = new Negotiator(Map.of()).negotiate(offer(keys));
        assertEquals("262144", normal.get("MaxBurstLength"));
        assertEquals("No", normal.get("InitialR2T"));
    }
}

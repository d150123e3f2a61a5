package io.stowage.iscsi.login;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies RFC 7143 §6.2 to offered keys: one method for every key, driven by {@link TextKey}'s rule column.
 * Keeps the negotiated results, from which {@link SessionParameters} are read once login completes.
 * Not thread-safe: used by one login.
 */
public final class Negotiator {
    private final Map<TextKey, String> ours;
    private final Map<TextKey, String> results = new EnumMap<>(TextKey.class);

    /** {@code overrides} replace the table's values (e.g. digests disabled by configuration). */
    public Negotiator(Map<TextKey, String> overrides) {
        this.ours = new EnumMap<>(TextKey.class);
        for (TextKey k : TextKey.values()) {
            ours.put(k, k.ours);
        }
        ours.putAll(overrides);
    }

    /**
     * A key of {@code offered} that an earlier request of this login already negotiated, or null. RFC 7143 §6.2
     * forbids negotiating a key twice; declarations (names, MaxRecvDataSegmentLength) are not counted, because
     * initiators repeat the names in each stage.
     */
    public String alreadyNegotiated(Iterable<String> offered) {
        for (String name : offered) {
            TextKey key = TextKey.byName(name);
            if (key != null && key.rule != TextKey.Rule.DECLARATIVE && key.rule != TextKey.Rule.DECLARATIVE_NUMBER
                    && results.containsKey(key)) {
                return name;
            }
        }
        return null;
    }

    /** Negotiates every offered pair in order and returns the answers to send back (in the same order). */
    public LinkedHashMap<String, String> negotiate(Map<String, String> offered) {
        LinkedHashMap<String, String> answers = new LinkedHashMap<>();
        // SessionType may follow the keys it makes irrelevant in the same request
        boolean discovery = "Discovery".equals(offered.get(TextKey.SESSION_TYPE.keyName))
                || "Discovery".equals(results.get(TextKey.SESSION_TYPE));
        offered.forEach((name, value) -> {
            TextKey key = TextKey.byName(name);
            if (discovery && key != null && key.irrelevantInDiscovery()) {
                answers.put(name, "Irrelevant");
                return;
            }
            String answer = answer(name, value);
            if (answer != null) {
                answers.put(name, answer);
            }
        });
        // §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength; each is a MIN on its own, so clamp the answer
        String first = results.get(TextKey.FIRST_BURST_LENGTH);
        String max = results.get(TextKey.MAX_BURST_LENGTH);
        if (first != null && max != null && answers.containsKey(TextKey.FIRST_BURST_LENGTH.keyName)
                && Long.parseLong(first) > Long.parseLong(max)) {
            results.put(TextKey.FIRST_BURST_LENGTH, max);
            answers.put(TextKey.FIRST_BURST_LENGTH.keyName, max);
        }
        return answers;
    }

    private String answer(String name, String value) {
        TextKey key = TextKey.byName(name);
        if (key == null) {
            return "NotUnderstood"; // includes X- and X# extension keys we do not implement (§6.2)
        }
        if (value == null) {
            return "Reject";
        }
        String mine = ours.get(key);
        switch (key.rule) {
            case LIST -> {
                List<String> supported = List.of(mine.split(","));
                for (String v : value.split(",")) {
                    if (supported.contains(v)) {
                        results.put(key, v);
                        return v;
                    }
                }
                return "Reject";
            }
            case MIN, MAX -> {
                Long offeredNumber = number(value, key);
                if (offeredNumber == null) {
                    return "Reject";
                }
                long m = Long.parseLong(mine);
                long r = key.rule == TextKey.Rule.MIN ? Math.min(offeredNumber, m) : Math.max(offeredNumber, m);
                results.put(key, Long.toString(r));
                return Long.toString(r);
            }
            case OR, AND -> {
                if (!value.equals("Yes") && !value.equals("No")) {
                    return "Reject";
                }
                boolean a = value.equals("Yes");
                boolean b = mine.equals("Yes");
                String r = (key.rule == TextKey.Rule.OR ? a || b : a && b) ? "Yes" : "No";
                results.put(key, r);
                return r;
            }
            case DECLARATIVE -> {
                results.put(key, value);
                return null;
            }
            case DECLARATIVE_NUMBER -> {
                if (number(value, key) == null) {
                    return "Reject";
                }
                results.put(key, Long.toString(number(value, key)));
                return null;
            }
            case FULL_FEATURE_ONLY, IRRELEVANT -> {
                return "Irrelevant";
            }
            default -> throw new IllegalStateException(key.rule.name());
        }
    }

    /** A decimal or 0x-hex number within the key's range, or null (§6.1 numerical values). */
    public static Long number(String value, TextKey key) {
        try {
            long n = value.startsWith("0x") || value.startsWith("0X") ? Long.parseLong(value.substring(2), 16)
                    : Long.parseLong(value);
            return n < key.min || n > key.max ? null : n;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public String ours(TextKey key) {
        return ours.get(key);
    }

    /** The negotiated (or declared) value, or the RFC default when the key was never exchanged. */
    public String result(TextKey key) {
        return results.get(key);
    }

    public SessionParameters parameters() {
        return SessionParameters.from(this);
    }
}

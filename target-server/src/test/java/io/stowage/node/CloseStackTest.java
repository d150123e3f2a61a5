package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloseStackTest {
    @Test
    void closesNewestFirstAndGoesOnPastAFailure() {
        List<String> closed = new ArrayList<>();
        CloseStack s = new CloseStack();
        s.defer("a", () -> closed.add("a"));
        AutoCloseable b = s.push("b", () -> {
            closed.add("b");
            throw new IllegalStateException("b broke");
        });
        s.defer("c", () -> closed.add("c"));
        assertNotNull(b);
        s.close();
        assertEquals(List.of("c", "b", "a"), closed);
        s.close();
        assertEquals(3, closed.size(), "each closes once");
    }
}

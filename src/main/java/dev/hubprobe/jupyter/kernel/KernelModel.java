package dev.hubprobe.jupyter.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.jupyter.ProtocolException;

/** A kernel as {@code /api/kernels} describes it. */
public record KernelModel(String id, String name, String executionState) {
    static KernelModel of(JsonNode node) {
        if (!node.hasNonNull("id")) {
            throw new ProtocolException("kernel model without \"id\"");
        }
        return new KernelModel(node.get("id").asText(), node.path("name").asText(""),
                node.path("execution_state").asText(""));
    }

    public boolean dead() {
        return "dead".equals(executionState);
    }
}

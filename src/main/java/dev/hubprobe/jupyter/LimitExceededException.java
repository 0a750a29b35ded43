package dev.hubprobe.jupyter;

/**
 * The peer sent more than the service keeps (a line, a frame, a queue): the call ends here rather
 * than let one hub run the JVM out of memory for every other. The message names the limit.
 */
public class LimitExceededException extends ProtocolException {
    public LimitExceededException(String message) {
        super(message);
    }

    public LimitExceededException(String message, Throwable cause) {
        super(message, cause);
    }
}

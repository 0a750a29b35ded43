package dev.hubprobe.jupyter;

/** A hub or BinderHub pointed the service at a URL it does not follow (see {@link FollowPolicy}). */
public class UrlRefusedException extends ProtocolException {
    public UrlRefusedException(String message) {
        super(message);
    }
}

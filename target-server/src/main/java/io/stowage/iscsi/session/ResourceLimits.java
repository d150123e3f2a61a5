package io.stowage.iscsi.session;

/**
 * What one node grants its initiators, so that no initiator (hostile, broken, or merely gone) can take memory,
 * connections or time from the others. Every value is a config key, see docs/configuration.md.
 *
 * @param loginTimeoutMillis       a login must reach full feature phase within this, however its bytes trickle in
 * @param maxConnections           TCP connections the portal holds at once (login included); more are closed at accept
 * @param maxConnectionsPerAddress ... of them from one source address
 * @param maxSessionsPerTarget     normal sessions per target; a login beyond it is refused with 0302h
 * @param authFailuresPerMinute    failed authentications per source address per minute; past it the address's
 *                                 logins are refused at once until the minute has passed
 * @param dataOutTimeoutMillis     a write waiting for Data-Out (an R2T or the unsolicited burst) ends after this
 * @param dataOutBudgetBytes       Data-Out buffers of the whole node, a quarter at most per session; a write that
 *                                 finds its share or the budget spent gets TASK SET FULL
 */
public record ResourceLimits(long loginTimeoutMillis, int maxConnections, int maxConnectionsPerAddress,
                             int maxSessionsPerTarget, int authFailuresPerMinute, long dataOutTimeoutMillis,
                             long dataOutBudgetBytes) {
    public static final ResourceLimits DEFAULT = new ResourceLimits(30_000, 1024, 64, 256, 10, 20_000, 256L << 20);
}

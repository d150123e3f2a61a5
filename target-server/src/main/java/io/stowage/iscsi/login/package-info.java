/**
 * Login and text negotiation (RFC 7143 §6, §13): the key table ({@link io.stowage.iscsi.login.TextKey}), the
 * rules that combine an offer with our value ({@link io.stowage.iscsi.login.Negotiator}), and the per-connection
 * login state machine ({@link io.stowage.iscsi.login.LoginPhase}). The security stage authenticates with
 * {@link io.stowage.iscsi.login.ChapAuthenticator} for targets that have CHAP secrets, else with None.
 *
 * <p>Threads: a login belongs to one connection and runs on its receive thread.
 */
package io.stowage.iscsi.login;

// The login form every page of the service shares: the password (#password-form), then the
// mailed one-time password (#otp-form), errors in #login-error. Each page names its own
// operations, so that its documents stay its own.
import { $, graphql, userErrors } from "./page.js";

// `operations`: the page's `login`, `verifyOtp` and `logout` documents; `onSession` runs once
// a session is open, `onLogout` after logging out (whether the request succeeded or not).
export function setUpLogin(portal, operations, { onSession, onLogout }) {
  let challengeId = null;

  async function submitPassword(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    const input = { portal, email: $("email").value.trim(), password: $("password").value };
    try {
      const { login } = await graphql(operations.login, { input });
      if (login.errors.length) {
        $("login-error").textContent = userErrors(login.errors);
      } else if (login.session) {
        await onSession();
      } else {
        challengeId = login.otpChallenge.id;
        $("password-form").hidden = true;
        $("otp-form").hidden = false;
        $("otp").focus();
      }
    } catch (error) {
      $("login-error").textContent = error.message;
    }
  }

  async function submitOtp(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    const input = { challengeId, otp: $("otp").value.trim() };
    try {
      const { loginVerifyOtp } = await graphql(operations.verifyOtp, { input });
      if (loginVerifyOtp.errors.length) {
        $("login-error").textContent = userErrors(loginVerifyOtp.errors);
      } else {
        await onSession();
      }
    } catch (error) {
      $("login-error").textContent = error.message;
    }
  }

  async function logout() {
    try {
      await graphql(operations.logout);
    } finally {
      onLogout();
    }
  }

  $("password-form").addEventListener("submit", submitPassword);
  $("otp-form").addEventListener("submit", submitOtp);
  $("logout").addEventListener("click", logout);

  // The form as it is before a login: back to the password step, nothing typed kept.
  return function resetLogin(message = "") {
    challengeId = null;
    $("password-form").hidden = false;
    $("otp-form").hidden = true;
    $("password").value = "";
    $("otp").value = "";
    $("login-error").textContent = message;
  };
}

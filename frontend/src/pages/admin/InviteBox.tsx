import { useState } from "react";
import { formatDateTime } from "../common";
import type { Invite } from "./adminApi";
import { inviteLink } from "./users";

/** A set-password link to hand over (copy it, or select it where the clipboard is not allowed). */
export function InviteBox({ invite }: { invite: Invite }) {
  const link = inviteLink(invite.path, window.location.origin);
  const [copied, setCopied] = useState(false);
  return (
    <div className="invite-box">
      <input readOnly data-testid="invite-link" value={link} aria-label="Set-password link" onFocus={(e) => e.target.select()} />
      <button
        type="button"
        data-testid="invite-copy"
        onClick={() => {
          navigator.clipboard?.writeText(link).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
      <span className="hint">Works once, until {formatDateTime(invite.expires_at)}.</span>
    </div>
  );
}

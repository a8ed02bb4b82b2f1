import { useState } from "preact/hooks";
import { useT } from "../i18n.js";
import { ActionButton } from "../ui.js";

/**
 * A destructive action asked twice, in the page rather than in a browser dialog (which a phone may block
 * and a screen reader announces poorly): the first press shows the question with Yes and Cancel.
 */
export function ConfirmAction(props: {
  label: string;
  /** Said to screen readers after the label: which one, where several rows have the same button. */
  labelDetail?: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  disabled?: boolean;
}) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        class="btn plain"
        disabled={props.disabled === true}
        onClick={() => {
          setAsking(true);
        }}
      >
        {props.label}
        {props.labelDetail !== undefined && <span class="visually-hidden"> {props.labelDetail}</span>}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.question}>
      <span class="confirm-question">{props.question}</span>
      <ActionButton
        kind="danger"
        onAction={async () => {
          await props.onConfirm();
          setAsking(false);
        }}
      >
        {props.confirmLabel ?? t("Ya, cabut", "Yes, revoke")}
      </ActionButton>
      <button
        type="button"
        class="btn plain"
        onClick={() => {
          setAsking(false);
        }}
      >
        {t("Batal", "Cancel")}
      </button>
    </span>
  );
}

import type { ButtonHTMLAttributes, ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./api.js";
import { useLang, useT } from "./i18n.js";

/** Loads data for a screen; `reload()` after a change. A newer load wins over an older one still in flight. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
} {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const generation = useRef(0);
  // The caller names the dependencies, as with useEffect.
  const reload = useCallback(async () => {
    const g = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (g === generation.current) setState({ data, error: undefined, loading: false });
    } catch (error) {
      if (g === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { ...state, reload };
}

/** A screen: its title (also the document's) and what it holds. */
export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${props.title} — Pantau`;
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h2 id="page-title">{props.title}</h2>
        {props.actions !== undefined && <div class="actions">{props.actions}</div>}
      </div>
      {props.children}
    </section>
  );
}

/** An error in plain words (the gateway's own where it gives them), announced to screen readers. */
export function ErrorNotice(props: { error: unknown }) {
  const lang = useLang();
  if (props.error === undefined || props.error === null) return null;
  return (
    <p class="notice error" role="alert">
      {errorText(props.error, lang)}
    </p>
  );
}

export function Loading() {
  const t = useT();
  return (
    <p class="loading" role="status">
      {t("Memuat…", "Loading…")}
    </p>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** A labelled form field: the label wraps the control, a hint and the field's own error sit under it. */
export function Field(props: { label: string; hint?: string; error?: string; children: ComponentChildren }) {
  return (
    <label class={`field${props.error !== undefined ? " invalid" : ""}`}>
      <span class="field-label">{props.label}</span>
      {props.children}
      {props.hint !== undefined && <span class="hint">{props.hint}</span>}
      {props.error !== undefined && (
        <span class="field-error" role="alert">
          {props.error}
        </span>
      )}
    </label>
  );
}

/**
 * A button whose action is async: disabled while it runs (no double submit), and its error shown next to it.
 */
export function ActionButton(
  props: {
    onAction: () => Promise<unknown>;
    children: ComponentChildren;
    kind?: "primary" | "danger" | "plain";
  } & Omit<ButtonHTMLAttributes, "onClick" | "kind">,
) {
  const { onAction, children, kind = "plain", ...rest } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return (
    <span class="action">
      <button
        type="button"
        {...rest}
        class={`btn ${kind}`}
        disabled={busy || props.disabled === true}
        aria-busy={busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          onAction()
            .catch((e: unknown) => {
              setError(e);
            })
            .finally(() => {
              setBusy(false);
            });
        }}
      >
        {children}
      </button>
      <ErrorNotice error={error} />
    </span>
  );
}

/** A state word in a coloured badge: online, degraded, offline, paused, unknown… */
export function Badge(props: { tone: "ok" | "warn" | "bad" | "muted"; children: ComponentChildren }) {
  return <span class={`badge ${props.tone}`}>{props.children}</span>;
}

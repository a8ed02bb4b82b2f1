import { useRef, useState } from "preact/hooks";
import { formatTime, useLang, useT } from "../i18n.js";
import { shareText, svgDataUrl, type IssuedLink } from "./guardian-data.js";

/**
 * A link just issued, as the admin passes it on: the URL with a Copy button, its QR code, and a message for
 * WhatsApp in both languages (wa.me opens the admin's own WhatsApp; the gateway sends nothing).
 */
export function LinkShare(props: {
  link: IssuedLink;
  guardianName: string;
  schoolName: string;
  timeZone: string;
  onClose: () => void;
}) {
  const t = useT();
  const lang = useLang();
  const { link } = props;
  const text = shareText({ guardian: props.guardianName, school: props.schoolName, url: link.url });
  return (
    <div class="link-share" role="region" aria-label={t("Tautan baru", "New link")}>
      <p class="notice ok" role="status">
        {t(
          "Tautan dibuat. Salin atau bagikan sekarang: alamatnya hanya ditampilkan sekali.",
          "Link issued. Copy or share it now: its address is shown only once.",
        )}{" "}
        {link.expiresAt !== null &&
          `${t("Berlaku sampai", "Valid until")} ${formatTime(link.expiresAt, lang, props.timeZone)}.`}
      </p>
      <CopyField label={t("Alamat tautan", "Link address")} value={link.url} name="link-url" />
      <img
        class="qr"
        src={svgDataUrl(link.qrSvg)}
        width={180}
        height={180}
        alt={t("Kode QR tautan untuk {name}", "QR code of the link for {name}").replace(
          "{name}",
          props.guardianName,
        )}
      />
      <CopyField
        label={t("Pesan untuk WhatsApp", "Message for WhatsApp")}
        value={text}
        multiline
        name="share-text"
      />
      <div class="actions">
        <a
          class="btn primary"
          href={`https://wa.me/?text=${encodeURIComponent(text)}`}
          target="_blank"
          rel="noopener noreferrer"
        >
          {t("Kirim lewat WhatsApp", "Send with WhatsApp")}
        </a>
        <button type="button" class="btn plain" onClick={props.onClose}>
          {t("Tutup", "Close")}
        </button>
      </div>
    </div>
  );
}

/**
 * Read-only text with a Copy button: the clipboard API where the page may use it (HTTPS or localhost), else
 * the text is selected so the admin can copy it by hand (a school's gateway is often plain HTTP on the LAN).
 */
export function CopyField(props: {
  label: string;
  value: string;
  multiline?: boolean;
  /** A multiline field's height in lines (default 6). */
  rows?: number;
  name: string;
}) {
  const t = useT();
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [state, setState] = useState<"idle" | "copied" | "selected">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setState("copied");
    } catch {
      ref.current?.focus();
      ref.current?.select();
      setState("selected");
    }
  };
  return (
    <div class="copy-field">
      <label class="field">
        <span class="field-label">{props.label}</span>
        {props.multiline === true ? (
          <textarea
            ref={ref}
            name={props.name}
            readOnly
            rows={props.rows ?? 6}
            spellcheck={false}
            value={props.value}
          />
        ) : (
          <input ref={ref} name={props.name} readOnly value={props.value} />
        )}
      </label>
      <button
        type="button"
        class="btn plain"
        onClick={() => {
          void copy();
        }}
      >
        {t("Salin", "Copy")}
        <span class="visually-hidden"> {props.label}</span>
      </button>
      <span role="status" class="copy-status">
        {state === "copied" && t("Tersalin.", "Copied.")}
        {state === "selected" &&
          t(
            "Teks sudah dipilih: tekan Ctrl+C (atau tahan lalu Salin).",
            "The text is selected: press Ctrl+C (or long-press and Copy).",
          )}
      </span>
    </div>
  );
}

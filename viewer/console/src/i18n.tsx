import { createContext } from "preact";
import { useContext } from "preact/hooks";

/** The console speaks Bahasa Indonesia by default; English is one switch away and remembered. */
export type Lang = "id" | "en";

const storageKey = "pantau.console.lang";

export function initialLang(): Lang {
  return localStorage.getItem(storageKey) === "en" ? "en" : "id";
}

export function storeLang(lang: Lang): void {
  localStorage.setItem(storageKey, lang);
  document.documentElement.lang = lang;
}

export const LangContext = createContext<{ lang: Lang; setLang: (l: Lang) => void }>({
  lang: "id",
  setLang: () => undefined,
});

/** Both languages sit together where the text is used: `t("Kamera", "Cameras")`. */
export type T = (id: string, en: string) => string;

export function useLang(): Lang {
  return useContext(LangContext).lang;
}

export function useT(): T {
  const lang = useLang();
  return (id, en) => (lang === "id" ? id : en);
}

/** `{name}` placeholders filled in (after t() picked the language). */
export function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** A date and time as the school's clock shows it (the console runs anywhere; schools are in WIB/WITA/WIT). */
export function formatTime(iso: string | null | undefined, lang: Lang, timeZone = "Asia/Jakarta"): string {
  if (iso === null || iso === undefined || iso === "") return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toLocaleString(lang === "id" ? "id-ID" : "en-GB", {
    timeZone,
    dateStyle: "medium",
    timeStyle: "short",
  });
}

import type { ComponentChildren } from "preact";
import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError, whenSignedOut } from "./api.js";
import { initialLang, LangContext, storeLang, useT, type Lang } from "./i18n.js";
import { href, useRoute } from "./router.js";
import { opens, screenFor, screens } from "./screens.js";
import { SignInScreen } from "./screens/sign-in.js";
import { SessionContext, type Session } from "./session.js";
import type { GatewayRole, School, User } from "./types.js";
import { ErrorNotice, Loading } from "./ui.js";

const schoolKey = "pantau.console.school";

/** The console: language, sign-in, the school in question, the menu for the role, and the screen. */
export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = (l: Lang) => {
    storeLang(l);
    setLangState(l);
  };
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <LangContext.Provider value={{ lang, setLang }}>
      <SignedIn />
    </LangContext.Provider>
  );
}

type Who =
  | { state: "loading" }
  | { state: "signed_out" }
  | { state: "signed_in"; user: User; gatewayRole: GatewayRole; rtmpEnabled: boolean }
  | { state: "error"; error: unknown };

function SignedIn() {
  const [who, setWho] = useState<Who>({ state: "loading" });
  // Who is signed in and what this gateway is; asked at start and again after signing in.
  const me = () => {
    api
      .get<{ user: User; gateway?: { role: GatewayRole; rtmpEnabled?: boolean } }>("/api/auth/me")
      .then((r) => {
        setWho({
          state: "signed_in",
          user: r.user,
          gatewayRole: r.gateway?.role ?? "standalone",
          rtmpEnabled: r.gateway?.rtmpEnabled === true,
        });
      })
      .catch((error: unknown) => {
        setWho(
          error instanceof ApiError && error.status === 401
            ? { state: "signed_out" }
            : { state: "error", error },
        );
      });
  };
  useEffect(() => {
    whenSignedOut(() => {
      setWho({ state: "signed_out" });
    });
    me();
  }, []);
  switch (who.state) {
    case "loading":
      return (
        <Frame>
          <Loading />
        </Frame>
      );
    case "error":
      return (
        <Frame>
          <ErrorNotice error={who.error} />
        </Frame>
      );
    case "signed_out":
      return (
        <Frame>
          <SignInScreen
            onSignedIn={() => {
              me();
            }}
          />
        </Frame>
      );
    case "signed_in":
      return (
        <Console
          user={who.user}
          gatewayRole={who.gatewayRole}
          rtmpEnabled={who.rtmpEnabled}
          onSignedOut={() => {
            setWho({ state: "signed_out" });
          }}
        />
      );
  }
}

/** The page frame: the product name and the language switch, signed in or not. */
function Frame(props: { session?: Session; children: ComponentChildren }) {
  const t = useT();
  const { lang, setLang } = useContext(LangContext);
  const s = props.session;
  return (
    <>
      <header class="top">
        <h1>
          <a href={href("/")}>Pantau</a>
        </h1>
        {s !== undefined && <SchoolPicker session={s} />}
        <div class="top-actions">
          <button
            type="button"
            class="btn plain"
            lang={lang === "id" ? "en" : "id"}
            onClick={() => {
              setLang(lang === "id" ? "en" : "id");
            }}
          >
            {lang === "id" ? "English" : "Bahasa Indonesia"}
          </button>
          {s !== undefined && (
            <>
              <span class="who">{s.user.displayName || s.user.username}</span>
              <button
                type="button"
                class="btn plain"
                onClick={() => {
                  void s.signOut();
                }}
              >
                {t("Keluar", "Sign out")}
              </button>
            </>
          )}
        </div>
      </header>
      {s !== undefined && <Menu session={s} />}
      <main id="main">{props.children}</main>
    </>
  );
}

function SchoolPicker(props: { session: Session }) {
  const t = useT();
  const s = props.session;
  if (s.user.role !== "operator") {
    return <span class="school-name">{s.school?.name ?? ""}</span>;
  }
  return (
    <label class="school-picker">
      <span class="visually-hidden">{t("Sekolah", "School")}</span>
      <select
        value={s.school?.id ?? ""}
        onChange={(e) => {
          s.setSchool(e.currentTarget.value || undefined);
        }}
      >
        <option value="">{t("Semua sekolah", "All schools")}</option>
        {s.schools.map((sc) => (
          <option key={sc.id} value={sc.id}>
            {sc.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Menu(props: { session: Session }) {
  const t = useT();
  const route = useRoute();
  return (
    <nav class="menu" aria-label={t("Menu", "Menu")}>
      <ul>
        {props.session.menu.map((m) => (
          <li key={m.path}>
            <a href={href(m.path)} aria-current={route.path === m.path ? "page" : undefined}>
              {t(m.title.id, m.title.en)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Console(props: {
  user: User;
  gatewayRole: GatewayRole;
  rtmpEnabled: boolean;
  onSignedOut: () => void;
}) {
  const t = useT();
  const route = useRoute();
  const { user, gatewayRole, rtmpEnabled } = props;
  const [schools, setSchools] = useState<School[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [schoolId, setSchoolId] = useState<string | undefined>(
    () => user.schoolId ?? sessionStorage.getItem(schoolKey) ?? undefined,
  );
  const reloadSchools = async () => {
    try {
      setSchools((await api.get<{ schools: School[] }>("/api/schools")).schools);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void reloadSchools();
  }, []);
  const session = useMemo<Session | undefined>(() => {
    if (schools === undefined) return undefined;
    const school = schools.find((s) => s.id === (user.schoolId ?? schoolId));
    return {
      user,
      gatewayRole,
      rtmpEnabled,
      schools,
      school,
      setSchool: (id) => {
        if (id === undefined) sessionStorage.removeItem(schoolKey);
        else sessionStorage.setItem(schoolKey, id);
        setSchoolId(id);
      },
      reloadSchools,
      signOut: async () => {
        try {
          await api.post("/api/auth/logout");
        } finally {
          props.onSignedOut();
        }
      },
      menu: screens.filter((s) => s.inMenu && opens(s, user.role, gatewayRole)),
    };
  }, [schools, schoolId, user, gatewayRole, rtmpEnabled]);
  if (session === undefined) {
    return <Frame>{error !== undefined ? <ErrorNotice error={error} /> : <Loading />}</Frame>;
  }
  const screen = screenFor(route.path, user.role, gatewayRole);
  let body;
  if (screen === undefined) {
    body = (
      <p class="notice" role="alert">
        {t("Halaman ini tidak ada.", "This page does not exist.")}{" "}
        <a href={href("/")}>{t("Ke beranda", "Go home")}</a>
      </p>
    );
  } else if (screen.needsSchool && session.school === undefined) {
    body = <p class="notice">{t("Pilih sekolah di atas dulu.", "Choose a school above first.")}</p>;
  } else {
    const C = screen.component;
    // Keyed by school: a screen's loaded data never shows under another school's name.
    body = <C key={session.school?.id ?? ""} route={route} />;
  }
  return (
    <SessionContext.Provider value={session}>
      <Frame session={session}>{body}</Frame>
    </SessionContext.Provider>
  );
}

import { useT } from "../i18n.js";
import { href } from "../router.js";
import { useSession } from "../session.js";
import { Page } from "../ui.js";

/** Where the console opens: the screens this account may use, each with its name. */
export function HomeScreen() {
  const t = useT();
  const { user, school, menu } = useSession();
  const mine = menu.filter((s) => s.path !== "/");
  return (
    <Page title={t("Beranda", "Home")}>
      <p>
        {t("Selamat datang, {name}.", "Welcome, {name}.").replace(
          "{name}",
          user.displayName || user.username,
        )}
        {school !== undefined && ` ${t("Sekolah", "School")}: ${school.name}`}
      </p>
      <ul class="tiles">
        {mine.map((s) => (
          <li key={s.path}>
            <a href={href(s.path)}>{t(s.title.id, s.title.en)}</a>
          </li>
        ))}
      </ul>
    </Page>
  );
}

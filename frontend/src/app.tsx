import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import { api, ApiError, setApiLanguage, type User } from "./api/client";
import { Link } from "./components/Link";
import { ThemeSwitch } from "./components/ThemeSwitch";
import { I18nContext, isLang, type Key, type Lang, makeI18n, storedLang, storeLang, useI18n } from "./i18n";
import { navigate, type Route, useRoute } from "./router";
import { PasswordChange, SignIn, SignUp } from "./screens/Auth";
import { Browse } from "./screens/Browse";
import { CardEditor } from "./screens/CardEditor";
import { CardPage } from "./screens/CardPage";
import { Dashboard } from "./screens/Dashboard";
import { MyDeck, MyDecks } from "./screens/MyDecks";
import { NotesImport } from "./screens/NotesImport";
import { DemoPage, Demos } from "./screens/Demos";
import { Practice } from "./screens/Practice";
import { Settings } from "./screens/Settings";
import { Study } from "./screens/Study";

const PUBLIC = new Set(["/login", "/signup"]);

function applyLang(lang: Lang): void {
  setApiLanguage(lang);
  storeLang(lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

function titleKey(path: string): Key {
  if (path === "/login") return "auth.signInTitle";
  if (path === "/signup") return "auth.signUpTitle";
  if (path === "/study") return "study.title";
  if (path === "/practice") return "prac.title";
  if (path === "/browse") return "browse.title";
  if (path.startsWith("/cards/")) return "card.title";
  if (path === "/demos" || path.startsWith("/demos/")) return "demo.title";
  if (path === "/my" || path.startsWith("/my/")) return "my.title";
  if (path === "/settings") return "set.title";
  if (path === "/password") return "pw.title";
  if (path === "/") return "dash.title";
  return "common.notFound";
}

export function App() {
  const [lang, setLangState] = useState<Lang>(() => {
    const l = storedLang();
    applyLang(l);
    return l;
  });
  const [user, setUser] = useState<User | null | undefined>(undefined);
  // The page view says whether the session is signed in: a signed-in learner's screen fetches its data at
  // once, alongside /me, instead of after it.
  const [signedInHint] = useState(
    () => document.querySelector('meta[name="dlquiz-signed-in"]')?.getAttribute("content") === "1",
  );
  const authed = user === undefined ? signedInHint : user !== null;
  const route = useRoute();
  const first = useRef(true);

  const setLang = (l: Lang, persist = true) => {
    applyLang(l);
    setLangState(l);
    if (persist && user) {
      api.settingsUpdate({ language: l }).catch(() => undefined);
      setUser({ ...user, language: l });
    }
  };
  const i18n = useMemo(() => makeI18n(lang, (l) => setLang(l)), [lang, user]);

  useEffect(() => {
    // The page view says whether the session is signed in: no need to ask (and be refused) when it is not.
    if (document.querySelector('meta[name="dlquiz-signed-in"]')?.getAttribute("content") === "0") {
      setUser(null);
      return;
    }
    api
      .me()
      .then((u) => {
        setUser(u);
        if (isLang(u.language) && u.language !== lang) setLang(u.language, false);
      })
      .catch((e) => {
        if (e instanceof ApiError && e.status !== 401 && e.status !== 403 && e.status !== 0) console.error(e);
        setUser(null);
      });
  }, []);

  // Signed out: every page but sign-in/sign-up leads to sign-in (and back afterwards).
  useEffect(() => {
    if (user === null && !PUBLIC.has(route.path)) {
      const next = route.path === "/" ? "" : `?next=${encodeURIComponent(route.path + (route.query.toString() ? `?${route.query}` : ""))}`;
      navigate(`/login${next}`, { replace: true });
    } else if (user && PUBLIC.has(route.path)) {
      navigate("/", { replace: true });
    }
  }, [user, route.path]);

  useEffect(() => {
    document.title = `${i18n.t(titleKey(route.path))} · dlquiz`;
  }, [route.path, lang]);

  // Moving between screens puts the focus on the new screen's heading (keyboard and screen readers).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    requestAnimationFrame(() => document.querySelector<HTMLElement>("main h1")?.focus({ preventScroll: false }));
  }, [route.path]);

  const signedIn = (u: User) => {
    setUser(u);
    if (isLang(u.language) && u.language !== lang) setLang(u.language, false);
    const next = route.query.get("next");
    navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
  };

  async function signOut() {
    try {
      await api.logout();
    } finally {
      setUser(null);
      navigate("/login");
    }
  }

  return (
    <I18nContext.Provider value={i18n}>
      <a class="skip-link" href="#main">
        {i18n.t("app.skip")}
      </a>
      <Header authed={authed} path={route.path} onSignOut={() => void signOut()} onLang={(l) => setLang(l)} lang={lang} />
      <main id="main" tabIndex={-1}>
        {user === undefined && !authed ? <p class="muted">{i18n.t("common.loading")}</p> : <Screen route={route} authed={authed} onSignedIn={signedIn} onLang={(l) => setLang(l, false)} />}
      </main>
    </I18nContext.Provider>
  );
}

function Screen({ route, authed, onSignedIn, onLang }: { route: Route; authed: boolean; onSignedIn: (u: User) => void; onLang: (l: Lang) => void }) {
  const { t } = useI18n();
  if (!authed) {
    if (route.path === "/signup") return <SignUp onSignedIn={onSignedIn} />;
    return <SignIn onSignedIn={onSignedIn} />;
  }
  const myDeck = /^\/my\/decks\/(\d+)$/.exec(route.path);
  if (myDeck) return <MyDeck key={myDeck[1]} id={Number(myDeck[1])} />;
  const myNew = /^\/my\/decks\/(\d+)\/new$/.exec(route.path);
  if (myNew) return <CardEditor key={`new-${myNew[1]}`} deck={Number(myNew[1])} />;
  const myCard = /^\/my\/cards\/(\d+)$/.exec(route.path);
  if (myCard) return <CardEditor key={myCard[1]} card={Number(myCard[1])} />;
  const card = /^\/cards\/(\d+)$/.exec(route.path);
  if (card) return <CardPage key={card[1]} id={Number(card[1])} />;
  const demo = /^\/demos\/([a-z0-9_]+)$/.exec(route.path);
  if (demo) return <DemoPage key={demo[1]} id={demo[1]!} route={route} />;
  switch (route.path) {
    case "/":
      return <Dashboard />;
    case "/study":
      return <Study />;
    case "/practice":
      return <Practice />;
    case "/browse":
      return <Browse route={route} />;
    case "/demos":
      return <Demos />;
    case "/my":
      return <MyDecks />;
    case "/my/import":
      return <NotesImport />;
    case "/settings":
      return <Settings onLanguage={onLang} />;
    case "/password":
      return <PasswordChange />;
    case "/login":
    case "/signup":
      return null;
    default:
      return (
        <section>
          <h1 tabIndex={-1}>{t("common.notFound")}</h1>
          <Link href="/">{t("common.home")}</Link>
        </section>
      );
  }
}


interface HeaderProps {
  authed: boolean;
  path: string;
  lang: Lang;
  onSignOut: () => void;
  onLang: (l: Lang) => void;
}

function Header({ authed, path, lang, onSignOut, onLang }: HeaderProps) {
  const { t } = useI18n();
  const links: Array<[string, Key]> = [
    ["/", "nav.dashboard"],
    ["/study", "nav.study"],
    ["/practice", "nav.practice"],
    ["/browse", "nav.browse"],
    ["/demos", "nav.demos"],
    ["/my", "nav.my"],
    ["/settings", "nav.settings"],
  ];
  const other: Lang = lang === "zh" ? "en" : "zh";
  return (
    <header class="site-header">
      <div class="bar">
        <Link href="/" class="brand">
          dlquiz<span class="brand-tag"> · {t("app.name")}</span>
        </Link>
        <div class="header-tools">
          <ThemeSwitch />
          <button
            type="button"
            class="lang-switch"
            lang={other === "zh" ? "zh-CN" : "en"}
            aria-label={t("lang.switchTo")}
            title={t("lang.switchTo")}
            onClick={() => onLang(other)}
          >
            {other === "zh" ? "中文" : "English"}
          </button>
          {authed ? (
            <button type="button" class="link-button" onClick={onSignOut}>
              {t("nav.signOut")}
            </button>
          ) : null}
        </div>
      </div>
      {authed ? (
        <nav aria-label={t("nav.main")}>
          <ul>
            {links.map(([href, key]) => {
              const active = href === "/" ? path === "/" : path === href || (href === "/browse" && path.startsWith("/cards/")) || (href === "/my" && path.startsWith("/my/")) || (href === "/demos" && path.startsWith("/demos/"));
              return (
                <li key={href}>
                  <Link href={href} class={active ? "active" : undefined} aria-current={active ? "page" : undefined}>
                    {t(key)}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
      ) : null}
    </header>
  );
}

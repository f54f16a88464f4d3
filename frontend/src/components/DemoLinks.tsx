import { useI18n } from "../i18n";
import { demoTitle, useDemos } from "../lib/demoCatalog";
import { demosForTopics } from "../lib/demos";
import { Link } from "./Link";

/** Links to the demonstrations that share a topic with a card (nothing when none does). */
export function DemoLinks({ topics }: { topics: readonly string[] }) {
  const { t, lang } = useI18n();
  const { demos } = useDemos();
  const hits = demos ? demosForTopics(demos, topics) : [];
  if (!hits.length) return null;
  return (
    <nav class="demo-links" aria-label={t("demo.related")}>
      <span class="demo-links-title">{t("demo.related")}</span>
      <ul>
        {hits.map((d) => (
          <li key={d.id}>
            <Link href={`/demos/${d.id}`}>
              <span lang={lang === "en" && d.title_en ? "en" : "zh-CN"}>{demoTitle(d, lang)}</span>
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The list of demonstrations, fetched once per page load and shared by every screen that links to one. */
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/client";
import type { Lang } from "../i18n";
import type { Demo } from "./demos";

let cached: Promise<Demo[]> | null = null;

/** GET /demos once; a failed load is forgotten, so the next caller asks again. */
export function loadDemos(): Promise<Demo[]> {
  if (!cached) {
    cached = api.demos().then(
      (r) => r.results,
      (e: unknown) => {
        cached = null;
        throw e;
      },
    );
  }
  return cached;
}

/** Forget the cached list (tests; a new deployment's demonstrations after a sign-in). */
export function forgetDemos(): void {
  cached = null;
}

export function useDemos(): { demos: Demo[] | null; error: unknown; reload: () => void } {
  const [demos, setDemos] = useState<Demo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    loadDemos().then(
      (d) => live && setDemos(d),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [tick]);
  return { demos, error, reload: () => setTick((x) => x + 1) };
}

/** A demonstration's title in the interface language (the Chinese one when it has no English title). */
export function demoTitle(d: Pick<Demo, "title" | "title_en">, lang: Lang): string {
  return lang === "en" && d.title_en ? d.title_en : d.title;
}

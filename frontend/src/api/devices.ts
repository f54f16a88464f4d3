/**
 * The learner's signed-in devices (`auth/tokens`): list and revoke. Kept beside client.ts with the same
 * conventions (session cookie, X-CSRFToken, the error envelope as ApiError, types from the generated schema).
 */
import { ApiError, readCookie } from "./client";
import type { components } from "./schema";

export type DeviceToken = components["schemas"]["TokenListOutput"];

async function send(method: "GET" | "DELETE", path: string, lang: "zh" | "en"): Promise<unknown> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    "Accept-Language": lang === "zh" ? "zh-hans" : "en",
  };
  if (method !== "GET") headers["X-CSRFToken"] = readCookie("csrftoken");
  let res: Response;
  try {
    res = await fetch(`/api/v1/${path}`, { method, headers, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network", "network error");
  }
  if (res.status === 204) return undefined;
  const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    const e = data?.error;
    throw e ? new ApiError(res.status, e.code, e.message) : new ApiError(res.status, `http_${res.status}`, res.statusText);
  }
  return data;
}

export const devicesApi = {
  list: (lang: "zh" | "en") => send("GET", "auth/tokens", lang) as Promise<DeviceToken[]>,
  revoke: (id: number, lang: "zh" | "en") => send("DELETE", `auth/tokens/${id}`, lang) as Promise<void>,
};

import { useState } from "preact/hooks";

import { type DeviceToken, devicesApi } from "../api/devices";
import { useI18n } from "../i18n";
import { deviceText } from "../lib/deviceStrings";
import { errorMessage } from "../lib/errors";
import { formatDate } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { useAction } from "../lib/useSubmit";

/**
 * The learner's signed-in devices (the API's `auth/tokens`): each with its name, when it signed in and when
 * its token expires, and a button that revokes it (the device is refused from its next request on).
 */
export function Devices() {
  const i18n = useI18n();
  const { lang, locale } = i18n;
  const d = (key: Parameters<typeof deviceText>[1], vars?: Record<string, string>) => deviceText(lang, key, vars);
  const list = useAsync(() => devicesApi.list(lang), []);
  const [done, setDone] = useState("");
  const revoke = useAction(async (device: DeviceToken) => {
    if (!window.confirm(d("confirm", { name: device.name }))) return;
    setDone("");
    await devicesApi.revoke(device.id, lang);
    list.set((list.data ?? []).filter((x) => x.id !== device.id));
    setDone(d("revoked", { name: device.name }));
  });

  return (
    <section class="panel devices" aria-labelledby="devices-title">
      <h2 id="devices-title">{d("title")}</h2>
      <p class="hint">{d("intro")}</p>
      {list.error ? (
        <p class="error" role="alert">
          {errorMessage(list.error, i18n)}
        </p>
      ) : list.data === null ? (
        <p class="muted">{i18n.t("common.loading")}</p>
      ) : list.data.length === 0 ? (
        <p class="muted">{d("none")}</p>
      ) : (
        <ul class="device-list">
          {list.data.map((device) => (
            <li key={device.id}>
              <span class="device-name">{device.name}</span>
              {device.current ? <span class="muted"> ({d("current")})</span> : null}
              <span class="muted">
                {" · "}
                {d("created", { date: formatDate(device.created, locale) })}
                {" · "}
                {device.expiry ? d("expires", { date: formatDate(device.expiry, locale) }) : d("never")}
              </span>{" "}
              <button
                type="button"
                disabled={revoke.busy}
                aria-label={d("revokeLabel", { name: device.name })}
                onClick={() => revoke.run(device)}
              >
                {d("revoke")}
              </button>
            </li>
          ))}
        </ul>
      )}
      {revoke.error ? (
        <p class="error" role="alert">
          {revoke.error}
        </p>
      ) : null}
      <p role="status" aria-live="polite">
        {done}
      </p>
    </section>
  );
}

import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import { api, ApiError, type User } from "../../src/api/client";
import { I18nContext, makeI18n, translate } from "../../src/i18n";
import { useAction, useSubmit } from "../../src/lib/useSubmit";
import { PasswordChange, SignUp } from "../../src/screens/Auth";
import { renderRoot } from "./helpers";

const root = renderRoot();
afterEach(() => vi.restoreAllMocks());

const taken = new ApiError(400, "invalid", "invalid input", { username: ["already taken"], password: ["太短了 / too short"] });

function Form({ send }: { send: () => Promise<void> }) {
  const submit = useSubmit(send);
  return (
    <form onSubmit={submit.onSubmit}>
      <p class="busy">{String(submit.busy)}</p>
      <p class="error">{submit.error}</p>
      <p class="fields">{JSON.stringify(submit.fields)}</p>
      <button type="submit">go</button>
    </form>
  );
}

async function submitForm() {
  await act(async () => {
    root.querySelector("form")!.requestSubmit();
  });
}

const text = (sel: string) => root.querySelector(sel)!.textContent;

describe("useSubmit", () => {
  it("keeps the page, is busy while sending and shows the envelope's message and field errors", async () => {
    let fail!: (e: unknown) => void;
    const send = vi.fn(() => new Promise<void>((_, reject) => (fail = reject)));
    act(() => render(<Form send={send} />, root));
    await submitForm();
    expect(text(".busy")).toBe("true");
    await submitForm(); // a second Enter while the first is on its way
    expect(send).toHaveBeenCalledTimes(1);
    await act(async () => fail(taken));
    expect(text(".busy")).toBe("false");
    expect(text(".error")).toBe(translate("zh", "err.invalid"));
    expect(JSON.parse(text(".fields")!)).toEqual({ username: translate("zh", "err.usernameTaken"), password: "太短了" });
  });

  it("clears the last failure when submitted again", async () => {
    const send = vi.fn<() => Promise<void>>().mockRejectedValueOnce(taken).mockResolvedValueOnce(undefined);
    act(() => render(<Form send={send} />, root));
    await submitForm();
    expect(text(".error")).not.toBe("");
    await submitForm();
    expect(text(".error")).toBe("");
    expect(text(".fields")).toBe("{}");
  });

  it("follows a language switch (the failure is kept, not its text)", async () => {
    const send = vi.fn<() => Promise<void>>().mockRejectedValue(taken);
    const view = (lang: "zh" | "en") => (
      <I18nContext.Provider value={makeI18n(lang, () => undefined)}>
        <Form send={send} />
      </I18nContext.Provider>
    );
    act(() => render(view("zh"), root));
    await submitForm();
    act(() => render(view("en"), root));
    expect(JSON.parse(text(".fields")!)).toEqual({ username: translate("en", "err.usernameTaken"), password: "too short" });
  });
});

describe("useAction", () => {
  it("passes its arguments, runs one at a time and keeps the failure", async () => {
    let finish!: () => void;
    const send = vi.fn((_what: string) => new Promise<void>((resolve) => (finish = resolve)));
    let action!: ReturnType<typeof useAction<[string]>>;
    function Buttons() {
      action = useAction(send);
      return null;
    }
    act(() => render(<Buttons />, root));
    await act(async () => action.run("suspend"));
    await act(async () => action.run("reset")); // still busy: ignored
    expect(send.mock.calls).toEqual([["suspend"]]);
    await act(async () => finish());
    expect(action.busy).toBe(false);
    send.mockRejectedValueOnce(new ApiError(0, "network", "network error"));
    await act(async () => action.run("reset"));
    expect(send).toHaveBeenLastCalledWith("reset");
    expect(action.error).toBe(translate("zh", "err.network"));
  });
});

describe("the account forms", () => {
  it("show a sign-up's field errors next to their fields", async () => {
    vi.spyOn(api, "signup").mockRejectedValue(taken);
    const onSignedIn = vi.fn<(u: User) => void>();
    act(() => render(<SignUp onSignedIn={onSignedIn} />, root));
    await submitForm();
    expect(text("#username-error")).toBe(translate("zh", "err.usernameTaken"));
    expect(root.querySelector("#username")!.getAttribute("aria-invalid")).toBe("true");
    expect(text("form > p.error")).toBe(translate("zh", "err.invalid"));
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("refuse a password change whose confirmation differs, without asking the server", async () => {
    const change = vi.spyOn(api, "passwordChange").mockResolvedValue(undefined);
    act(() => render(<PasswordChange />, root));
    const type = (id: string, v: string) => {
      const el = root.querySelector<HTMLInputElement>(`#${id}`)!;
      el.value = v;
      el.dispatchEvent(new Event("input", { bubbles: true }));
    };
    act(() => {
      type("old_password", "old-secret");
      type("new_password", "new-secret-1");
      type("confirm", "new-secret-2");
    });
    await submitForm();
    expect(change).not.toHaveBeenCalled();
    expect(text("#confirm-error")).toBe(translate("zh", "pw.mismatch"));
    act(() => type("confirm", "new-secret-1"));
    await submitForm();
    expect(change).toHaveBeenCalledWith({ old_password: "old-secret", new_password: "new-secret-1" });
    expect(text(".success")).toBe(translate("zh", "pw.done"));
    expect(root.querySelector("#confirm-error")).toBeNull();
  });
});

/** Interface strings of the Devices section (Settings): the learner's signed-in devices and their tokens. */
export const DEVICES_ZH = {
  title: "已登录的设备",
  intro: "用令牌登录的手机和其他应用。撤销后，该设备立即退出登录，需要重新输入密码。修改密码会撤销所有设备。",
  none: "没有用令牌登录的设备。",
  created: "登录于 {date}",
  expires: "{date} 过期",
  never: "不会过期",
  current: "当前设备",
  revoke: "撤销",
  revoking: "撤销中…",
  revokeLabel: "撤销设备「{name}」",
  confirm: "撤销设备「{name}」？它将立即退出登录。",
  revoked: "已撤销「{name}」",
};

export const DEVICES_EN: Record<keyof typeof DEVICES_ZH, string> = {
  title: "Signed-in devices",
  intro: "Phones and other apps signed in with a token. Revoking one signs it out at once; it needs the password again. Changing the password revokes them all.",
  none: "No device is signed in with a token.",
  created: "signed in {date}",
  expires: "expires {date}",
  never: "never expires",
  current: "this device",
  revoke: "Revoke",
  revoking: "Revoking…",
  revokeLabel: "Revoke the device “{name}”",
  confirm: "Revoke the device “{name}”? It is signed out at once.",
  revoked: "Revoked “{name}”",
};

export type DeviceKey = keyof typeof DEVICES_ZH;

export function deviceText(lang: "zh" | "en", key: DeviceKey, vars: Record<string, string> = {}): string {
  const text = (lang === "zh" ? DEVICES_ZH : DEVICES_EN)[key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}

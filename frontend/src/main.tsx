import "katex/dist/katex.min.css";
import "./styles.css";
import "./theme.css";

import { render } from "preact";

import { App } from "./app";
import { initTheme } from "./lib/theme";

initTheme();

render(<App />, document.getElementById("app")!);

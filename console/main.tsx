/** Entry point: styles, then the shell. */
import "./styles.css";
import { render } from "preact";
import { App } from "./core/app.js";
import { restore } from "./core/session.js";

restore();
const root = document.getElementById("app");
if (root) render(<App />, root);

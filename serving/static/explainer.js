// Lead explainer of the managers' page: fills the form from an example lead, posts it to /predict
// (same origin; the page's ?token= is sent as the bearer token), and draws the result with a
// waterfall of contributions in score points. Plain JavaScript, served from the package: no CDN.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("explainer-data").textContent);
  const labels = data.labels;
  const token = new URLSearchParams(window.location.search).get("token");
  const form = document.getElementById("lead-form");
  const SVG = "http://www.w3.org/2000/svg";

  // The language switch keeps the rest of the address (such as ?token=) as it is.
  for (const lang of ["en", "zh"]) {
    document.getElementById("lang-" + lang).addEventListener("click", function (event) {
      event.preventDefault();
      const query = new URLSearchParams(window.location.search);
      query.set("lang", lang);
      window.location.search = query.toString();
    });
  }

  document.getElementById("example").addEventListener("change", function (event) {
    const lead = data.examples[Number(event.target.value)] || {};
    for (const element of form.elements) {
      if (!element.name) continue;
      const value = lead[element.name];
      element.value = value === null || value === undefined ? "" : String(value);
    }
  });

  function readLead() {
    const lead = {};
    for (const element of form.elements) {
      if (!element.name || element.value === "") continue;
      lead[element.name] = element.type === "number" ? Number(element.value) : element.value;
    }
    return lead;
  }

  function node(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // Bars from the average lead's score to this lead's score; each step is one field's impact.
  function waterfall(result) {
    const reasons = result.reasons.positive.concat(result.reasons.negative)
      .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact));
    const shown = reasons.reduce((sum, r) => sum + r.impact, 0);
    const steps = [{ label: labels.base, start: 0, end: result.base_score, total: true }];
    let level = result.base_score;
    for (const r of reasons) {
      steps.push({ label: r.label || r.feature, start: level, end: level + r.impact });
      level += r.impact;
    }
    const rest = result.score - result.base_score - shown;
    if (Math.abs(rest) >= 0.05) {
      steps.push({ label: labels.others, start: level, end: level + rest });
    }
    steps.push({ label: labels.final, start: 0, end: result.score, total: true });
    const width = 640, row = 24, left = 230, height = steps.length * row + 30;
    const scale = (width - left - 40) / 100;
    const svg = node("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    steps.forEach((step, i) => {
      const x0 = left + Math.min(step.start, step.end) * scale;
      const w = Math.max(1, Math.abs(step.end - step.start) * scale);
      const colour = step.total ? "#0969da" : step.end >= step.start ? "#1a7f37" : "#cf222e";
      svg.appendChild(node("text", { x: left - 8, y: i * row + 16, "text-anchor": "end", "font-size": 12 },
        step.label.slice(0, 34)));
      svg.appendChild(node("rect", { x: x0, y: i * row + 4, width: w, height: row - 8, fill: colour }));
      const amount = step.total ? step.end.toFixed(0) : (step.end - step.start > 0 ? "+" : "") +
        (step.end - step.start).toFixed(1);
      svg.appendChild(node("text", { x: x0 + w + 4, y: i * row + 16, "font-size": 11 }, amount));
    });
    svg.appendChild(node("text", { x: left, y: height - 6, "font-size": 11, fill: "#57606a" },
      `0 – 100 ${labels.points}`));
    return svg;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const headers = { "Content-Type": "application/json", "X-Leadscore-Origin": "page" };  // logged as origin page
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch("/predict", {
      method: "POST", headers: headers,
      body: JSON.stringify({ leads: [readLead()], lang: data.lang, reasons: 8 }),
    });
    const box = document.getElementById("result");
    box.hidden = false;
    if (!response.ok) {
      document.getElementById("result-score").textContent = (await response.json()).error;
      return;
    }
    const result = (await response.json()).results[0];
    document.getElementById("result-score").textContent = `${labels.score}: ${result.score}`;
    document.getElementById("result-band").textContent = labels[result.band] || result.band;
    document.getElementById("result-action").textContent = `${labels.action}: ${result.action.text}`;
    const chart = document.getElementById("chart-waterfall");
    chart.replaceChildren();
    if (result.source === "model") chart.appendChild(waterfall(result));
    const list = document.getElementById("result-reasons");
    list.replaceChildren();
    for (const reason of result.reasons.positive.concat(result.reasons.negative)) {
      const item = document.createElement("li");
      item.className = "reason";
      item.textContent = reason.text;
      list.appendChild(item);
    }
    document.getElementById("result-rule").textContent =
      `${labels.rule_score}: ${result.rule_score} — ` + result.rule_reasons.map((r) => r.text).join("; ");
  });
})();

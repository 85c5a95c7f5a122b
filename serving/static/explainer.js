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

  // Fields with no reason of their own: the "other fields" step, named with how many and which.
  function otherFields(result) {
    const shown = new Set(result.reasons.positive.concat(result.reasons.negative).map((r) => r.feature));
    return Object.keys(data.fields).filter((name) => !shown.has(name)).map((name) => data.fields[name]);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  }

  // Bars from the average lead's score to this lead's score; each step is one field's impact.
  function waterfall(result, others) {
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
      steps.push({ label: fill(labels.others, { n: others.length }), start: level, end: level + rest,
        title: others.join(labels.sep), others: true });
    }
    steps.push({ label: labels.final, start: 0, end: result.score, total: true });
    const width = 640, row = 24, left = 230, height = steps.length * row + 30;
    const scale = (width - left - 40) / 100;
    const svg = node("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    steps.forEach((step, i) => {
      const x0 = left + Math.min(step.start, step.end) * scale;
      const w = Math.max(1, Math.abs(step.end - step.start) * scale);
      const colour = step.total ? "#0969da" : step.end >= step.start ? "#1a7f37" : "#cf222e";
      const group = node("g", step.others ? { class: "others-step" } : {});
      if (step.title) group.appendChild(node("title", {}, step.title));  // the names, on hover
      group.appendChild(node("text", { x: left - 8, y: i * row + 16, "text-anchor": "end", "font-size": 12 },
        step.label.slice(0, 34)));
      group.appendChild(node("rect", { x: x0, y: i * row + 4, width: w, height: row - 8, fill: colour,
        "fill-opacity": step.others ? 0.55 : 1 }));
      const amount = step.total ? step.end.toFixed(0) : (step.end - step.start > 0 ? "+" : "") +
        (step.end - step.start).toFixed(1);
      group.appendChild(node("text", { x: x0 + w + 4, y: i * row + 16, "font-size": 11 }, amount));
      svg.appendChild(group);
    });
    svg.appendChild(node("text", { x: left, y: height - 6, "font-size": 11, fill: "#57606a" },
      `0 – 100 ${labels.points}`));
    return { svg: svg, rest: rest };
  }

  function listInto(id, texts, className) {
    const list = document.getElementById(id);
    list.replaceChildren();
    for (const text of texts) {
      const item = document.createElement("li");
      item.className = className;
      item.textContent = text;
      list.appendChild(item);
    }
  }

  // Questions worth asking, under the reasons: each answer is a button that scores the lead with it
  // (the what-if a manager can try), through /predict like the form itself.
  function questionsInto(questions) {
    const list = document.getElementById("result-questions");
    list.replaceChildren();
    document.getElementById("questions-title").hidden = !questions.length;
    document.getElementById("questions-caption").hidden = !questions.length;
    for (const question of questions) {
      const item = document.createElement("li");
      item.className = "question";
      item.dataset.field = question.field;
      const ask = document.createElement("span");
      ask.className = "question-text";
      ask.textContent = question.question;
      item.appendChild(ask);
      for (const answer of question.answers) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "answer";
        button.dataset.value = String(answer.value);
        button.dataset.score = String(answer.score);
        button.dataset.band = answer.band;
        button.textContent = fill(labels.answer, { value: answer.label, score: answer.score,
          band: labels[answer.band] || answer.band });
        button.addEventListener("click", function () { whatIf(question.field, answer.value); });
        item.appendChild(button);
      }
      list.appendChild(item);
    }
  }

  function whatIf(field, value) {
    const element = form.elements.namedItem(field);
    if (!element) return;
    if (element.tagName === "SELECT" && ![...element.options].some((o) => o.value === String(value))) {
      element.appendChild(new Option(String(value), String(value)));  // an answer the form's examples lack
    }
    element.value = String(value);
    score();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    score();
  });

  async function score() {
    const headers = { "Content-Type": "application/json", "X-Leadscore-Origin": "page" };  // logged as origin page
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch("/predict", {
      method: "POST", headers: headers,
      body: JSON.stringify({ leads: [readLead()], lang: data.lang, reasons: 8, questions: true }),
    });
    const box = document.getElementById("result");
    box.hidden = false;
    if (!response.ok) {
      document.getElementById("result-score").textContent = (await response.json()).error;
      return;
    }
    const result = (await response.json()).results[0];
    document.getElementById("result-score").textContent = labels.score + labels.colon + result.score;
    document.getElementById("result-band").textContent = labels[result.band] || result.band;
    document.getElementById("result-action").textContent = labels.action + labels.colon + result.action.text;
    const chart = document.getElementById("chart-waterfall");
    const othersLine = document.getElementById("result-others");
    chart.replaceChildren();
    othersLine.textContent = "";
    if (result.source === "model") {
      const others = otherFields(result);
      const drawn = waterfall(result, others);
      chart.appendChild(drawn.svg);
      if (Math.abs(drawn.rest) >= 0.05) {
        othersLine.textContent = fill(labels.others_list, {
          points: (drawn.rest > 0 ? "+" : "") + drawn.rest.toFixed(1), names: others.join(labels.sep) });
      }
    }
    listInto("result-reasons", result.reasons.positive.concat(result.reasons.negative).map((r) => r.text), "reason");
    questionsInto(result.questions || []);
    // The rule score reads like the reasons: each rule's sentence and the points it adds.
    document.getElementById("result-rule").textContent = result.rule_reasons.length ?
      fill(labels.rule_line, { points: result.rule_score }) : labels.rule_none;
    listInto("result-rule-reasons", result.rule_reasons.map((r) => fill(labels.rule_reason,
      { text: r.text, points: r.points })), "rule-reason");
  }
})();

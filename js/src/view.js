// The widget's DOM: toolbar, participants, status line and the sandboxed page frame.
// Everything from peers is set with textContent, never as HTML.
import css from "./widget.css";

// Never allow-same-origin: page scripts must run in an opaque origin.

function element(tag, className, props = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return Object.assign(node, props);
}

function button(label, title) {
  return element("button", "cobrowse-button", {
    type: "button",
    textContent: label,
    title,
    ariaLabel: title,
  });
}

export function buildView(el, height) {
  const root = element("div", "cobrowse");
  const style = element("style", "", { textContent: css });
  const toolbar = element("form", "cobrowse-toolbar");
  const back = button("◀", "Back (for everyone)");
  const forward = button("▶", "Forward (for everyone)");
  const reload = button("⟳", "Reload this view");
  const share = button("⇪", "Share this room: the line a colleague runs to join it");
  const pin = button("✎", "Pin a note on the page for everyone: click here, then on the page");
  const draw = button("✍", "Draw on the page for everyone: click here, then drag on the page");
  const unpin = button("⌫", "Remove the notes and drawings you may remove from this page");
  unpin.hidden = true;
  const address = element("input", "cobrowse-address", {
    type: "text",
    spellcheck: false,
    placeholder: "Type an address and press Enter",
    ariaLabel: "Address",
  });
  const watching = element("span", "cobrowse-watching", {
    textContent: "View only",
    title: "You follow this room's page; you cannot navigate it for others.",
    hidden: true,
  });
  const control = element("span", "cobrowse-control", { ariaLabel: "Who leads" });
  const people = element("ul", "cobrowse-people", { ariaLabel: "Participants" });
  const status = element("div", "cobrowse-status", { role: "status" });
  const invite = element("div", "cobrowse-share", { hidden: true });
  // A tutorial step from the notebook (cb.step): its title and text, with a button to hide it
  // here until the next one.
  const step = element("section", "cobrowse-step", { hidden: true, ariaLabel: "Step" });
  const stepTitle = element("strong", "cobrowse-step-title");
  const stepText = element("div", "cobrowse-step-text");
  const stepHide = button("×", "Hide this step (until the next)");
  step.append(stepHide, stepTitle, stepText);
  const noteForm = element("form", "cobrowse-note-form", { hidden: true });
  const noteText = element("input", "cobrowse-note-text", {
    type: "text",
    maxLength: 500,
    placeholder: "The note everyone sees there",
    ariaLabel: "Note",
  });
  const noteAdd = element("button", "cobrowse-control-action", {
    type: "submit",
    textContent: "Pin",
  });
  const noteCancel = element("button", "cobrowse-control-action", {
    type: "button",
    textContent: "Cancel",
  });
  noteForm.append(noteText, noteAdd, noteCancel);
  const frame = element("iframe", "cobrowse-frame", { title: "Shared page" });
  frame.setAttribute("sandbox", ""); // every restriction, until the server names its flags
  // A participant who has used this Jupyter page lets the room's media play in it (a follower's
  // video starts when the presenter's does); nothing else is delegated to the page.
  frame.setAttribute("allow", "autoplay");
  frame.setAttribute("referrerpolicy", "no-referrer");
  // The frame shows the page at this cell's width, or at the presenter's, scaled to fit.
  const stage = element("div", "cobrowse-stage");
  stage.append(frame);
  let ownHeight = height;
  let fit = null; // {width, height}: the presenter's frame size shown here, or null
  const layout = () => {
    const scale = fit ? Math.min(1, stage.clientWidth / fit.width) : 1;
    frame.style.width = fit ? `${fit.width}px` : "";
    frame.style.height = `${fit ? fit.height : ownHeight}px`;
    frame.style.transform = fit ? `scale(${scale})` : "";
    stage.style.height = fit ? `${Math.ceil(fit.height * scale)}px` : "";
  };
  layout();
  new ResizeObserver(layout).observe(stage);
  new ResizeObserver(() =>
    handlers.frameSize({ width: frame.clientWidth, height: frame.clientHeight }),
  ).observe(frame);

  toolbar.append(
    back,
    forward,
    reload,
    share,
    pin,
    draw,
    unpin,
    address,
    watching,
    control,
    people,
  );
  root.append(style, toolbar, step, status, invite, noteForm, stage);
  el.append(root);

  const handlers = {
    frameSize: () => {},
    navigate: () => {},
    back: () => {},
    forward: () => {},
    reload: () => {},
    share: () => {},
    outside: () => {},
  };
  root.addEventListener("pointerover", (event) => event.target !== frame && handlers.outside());
  root.addEventListener("pointerleave", () => handlers.outside());
  root.dataset.lmSuppressShortcuts = "true"; // typing in the address bar is not a notebook shortcut
  toolbar.addEventListener("submit", (event) => event.preventDefault());
  stepHide.addEventListener("click", () => (step.hidden = true));
  address.addEventListener("keydown", (event) => {
    event.stopPropagation();
    if (event.key === "Enter") {
      event.preventDefault();
      handlers.navigate(address.value);
      address.blur();
    }
  });
  back.addEventListener("click", () => handlers.back());
  forward.addEventListener("click", () => handlers.forward());
  reload.addEventListener("click", () => handlers.reload());
  pin.addEventListener("click", () => handlers.pin());
  draw.addEventListener("click", () => handlers.draw());
  unpin.addEventListener("click", () => handlers.unpin());
  let noteDone = () => {};
  noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    noteForm.hidden = true;
    noteDone(noteText.value);
  });
  noteText.addEventListener("keydown", (event) => event.stopPropagation()); // not a shortcut
  noteCancel.addEventListener("click", () => {
    noteForm.hidden = true;
    noteDone(null);
  });
  share.addEventListener("click", () => {
    invite.hidden = !invite.hidden;
    if (!invite.hidden) handlers.share();
  });

  let readOnly = false;
  let errorText = null;
  let statusText = "";
  const showStatus = () => {
    status.textContent = errorText ?? statusText;
    status.classList.toggle("cobrowse-error", errorText !== null);
    status.hidden = !status.textContent;
  };
  showStatus();

  return {
    frame,
    setAddress(url) {
      if (document.activeElement !== address) address.value = url;
    },
    setHistoryButtons(index, length) {
      back.disabled = readOnly || index <= 0;
      forward.disabled = readOnly || index < 0 || index >= length - 1;
    },
    /** A reader watches and follows: no address bar, no back or forward for everyone. */
    /** `value`: the user cannot move the room; `why` says so in the toolbar ("": the control
     * status says it already). */
    setReadOnly(value, why = "View only") {
      readOnly = value;
      address.readOnly = value;
      address.placeholder = value ? "" : "Type an address and press Enter";
      watching.textContent = why;
      watching.hidden = !value || !why;
      if (value) back.disabled = forward.disabled = true;
    },
    /** Who leads and what this participant may do about it: a status (text) and buttons. */
    setControl({ status, actions }) {
      const label = element("span", "cobrowse-control-status", { textContent: status });
      label.hidden = !status;
      const buttons = actions.map(({ text, title, run }) => {
        const item = element("button", "cobrowse-control-action", {
          type: "button",
          textContent: text,
        });
        item.title = title;
        item.addEventListener("click", run);
        return item;
      });
      control.replaceChildren(label, ...buttons);
    },
    /** The room's people: [{name, initials, color, self, role, away}], `role` what they do in
     * presenter mode ("presenting", "following"...), `away` the address of the other page they
     * are on ("": this one), with a "Go there" button when `canGo`. */
    setParticipants(list, canGo) {
      people.replaceChildren(
        ...list.map((person) => {
          const item = element("li", "cobrowse-person");
          const name = person.name || "Someone";
          const initials = element("span", "cobrowse-initials", { textContent: person.initials });
          initials.setAttribute("aria-hidden", "true");
          item.append(initials, element("span", "cobrowse-person-name", { textContent: name }));
          const notes = [person.self && "you", person.role, person.away && "on another page"];
          if (person.role) {
            item.dataset.role = person.role;
            item.append(element("span", "cobrowse-person-role", { textContent: person.role }));
          }
          if (person.away) {
            const go = element("button", "cobrowse-go", {
              type: "button",
              textContent: "Go there",
            });
            go.title = `Take the room to ${name}'s page: ${person.away}`;
            go.hidden = !canGo;
            go.addEventListener("click", () => handlers.goThere(person.away));
            item.append(go);
          }
          const said = notes.filter(Boolean).join(", ");
          item.title = said ? `${name} (${said})` : name;
          item.dataset.self = person.self ? "true" : "false";
          if (/^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(person.color ?? ""))
            item.style.setProperty("--person", person.color);
          return item;
        }),
      );
    },
    setStatus(text) {
      statusText = text;
      showStatus();
    },
    /** Show the room's tutorial step ({n, title, text}, checked), or none. */
    setStep(shown) {
      const fresh = (shown?.n ?? 0) !== Number(step.dataset.n ?? -1);
      step.dataset.n = String(shown?.n ?? 0);
      stepTitle.textContent = shown?.title ?? "";
      stepText.textContent = shown?.text ?? "";
      if (fresh) step.hidden = !shown;
    },
    setError(text) {
      errorText = text;
      showStatus();
    },
    /** Show how to join (text only: the address in it comes from the room). */
    showInvite(intro, code) {
      const line = element("code", "cobrowse-share-code", { textContent: code });
      invite.replaceChildren(element("span", "", { textContent: intro }), line);
    },
    /** Ask for a note's text; `done(text)` gets it, or null when cancelled. */
    askNote(done) {
      noteDone = done;
      noteText.value = "";
      noteForm.hidden = false;
      noteText.focus();
    },
    /** Whether this user may pin notes and draw (`pinning`: they are choosing where a note
     * goes; `drawing`: their drags draw), and remove some. */
    setNotes({ canPin, pinning, drawing, canRemove }) {
      pin.hidden = draw.hidden = !canPin;
      pin.classList.toggle("cobrowse-active", pinning);
      draw.classList.toggle("cobrowse-active", drawing);
      unpin.hidden = !canRemove;
    },
    setHeight(px) {
      ownHeight = px;
      layout();
    },
    /** Show the page at `size` ({width, height} in CSS pixels, the presenter's frame), scaled
     * down to fit this cell; null: at this cell's own width again. */
    fitTo(size) {
      fit = size;
      layout();
    },
    onNavigate: (fn) => (handlers.navigate = fn),
    onBack: (fn) => (handlers.back = fn),
    onForward: (fn) => (handlers.forward = fn),
    onReload: (fn) => (handlers.reload = fn),
    onShare: (fn) => (handlers.share = fn),
    onGoThere: (fn) => (handlers.goThere = fn),
    onPin: (fn) => (handlers.pin = fn),
    onDraw: (fn) => (handlers.draw = fn),
    onUnpin: (fn) => (handlers.unpin = fn),
    onFrameSize: (fn) => (handlers.frameSize = fn),
    onPointerOutsidePage: (fn) => (handlers.outside = fn),
    destroy() {
      root.remove();
    },
  };
}

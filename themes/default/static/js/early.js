/* Loaded first, before the page shows: the page has scripts, so the header menu can fold away. */
document.documentElement.classList.add("js");

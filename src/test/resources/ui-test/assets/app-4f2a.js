document.title = "café";

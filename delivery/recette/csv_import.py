"""Reading a cahier de recette from CSV: validate every row first, import nothing
while any row is wrong (the PM fixes the file and sends it again).

Accepted: UTF-8 with or without BOM (Excel's "CSV UTF-8"), `;` (Excel FR) or `,`
separators, French or English column names.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from delivery.recette.models import Priority, RecetteCase
from projects.models import Module

MAX_BYTES = 1_000_000
MAX_ROWS = 1000

#: normalised header -> field
COLUMNS = {
    "reference": "reference", "ref": "reference", "id": "reference",
    "titre": "title", "intitule": "title", "title": "title", "cas": "title",
    "etapes": "steps", "etape": "steps", "scenario": "steps", "steps": "steps",
    "resultat attendu": "expected", "attendu": "expected", "expected": "expected", "expected result": "expected",
    "module": "module",
    "priorite": "priority", "priority": "priority",
}
PRIORITIES = {
    "": Priority.NORMAL, "haute": Priority.HIGH, "high": Priority.HIGH, "normale": Priority.NORMAL,
    "normal": Priority.NORMAL, "moyenne": Priority.NORMAL, "basse": Priority.LOW, "low": Priority.LOW,
}
FIELD_LABELS = {"reference": "référence", "title": "titre"}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("_", " ").replace("-", " ").split())


@dataclass
class CaseRow:
    line: int
    reference: str
    title: str
    steps: str = ""
    expected: str = ""
    module: Module | None = None
    priority: str = Priority.NORMAL

    def get_priority_display(self) -> str:
        return Priority(self.priority).label


@dataclass
class RowError:
    line: int  # 0: the file itself
    message: str


@dataclass
class ImportPreview:
    rows: list[CaseRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            "Le fichier n'est pas encodé en UTF-8. Dans Excel, enregistrez-le au format « CSV UTF-8 »."
        ) from exc


def _separator(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") >= first.count(",") else ","


def csv_preview(*, delivery, data: bytes) -> ImportPreview:
    """Parse and check every row; the caller imports only when `ok`."""
    preview = ImportPreview()
    if len(data) > MAX_BYTES:
        preview.errors.append(RowError(0, "Fichier trop volumineux (1 Mo maximum)."))
        return preview
    try:
        text = _decode(data)
    except ValueError as exc:
        preview.errors.append(RowError(0, str(exc)))
        return preview
    if not text.strip():
        preview.errors.append(RowError(0, "Le fichier est vide."))
        return preview
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    try:
        header = next(reader)
    except csv.Error as exc:
        preview.errors.append(RowError(1, f"Ligne illisible : {exc}."))
        return preview
    fields = [COLUMNS.get(_norm(h)) for h in header]
    missing = [FIELD_LABELS[f] for f in ("reference", "title") if f not in fields]
    if missing:
        preview.errors.append(
            RowError(1, "Colonne(s) obligatoire(s) absente(s) de l'en-tête : " + ", ".join(missing)
                     + ". En-tête attendu : reference;titre;etapes;resultat_attendu;module;priorite.")
        )
        return preview
    unknown = [h for h, f in zip(header, fields, strict=True) if f is None and h.strip()]
    if unknown:
        preview.errors.append(RowError(1, "Colonne(s) inconnue(s) : " + ", ".join(unknown) + "."))

    modules = {}
    for module in Module.objects.all():
        modules[_norm(module.code)] = module
        modules[_norm(module.name)] = module
    existing = set(RecetteCase.objects.filter(delivery=delivery).values_list("reference", flat=True))
    seen: dict[str, int] = {}
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            preview.errors.append(RowError(start, f"Ligne illisible : {exc}."))
            break
        line = start
        if not any(v.strip() for v in values):
            continue  # blank lines are common at the end of exported files
        if len(preview.rows) + len(preview.errors) >= MAX_ROWS:
            preview.errors.append(RowError(line, f"Trop de lignes ({MAX_ROWS} cas maximum par import)."))
            break
        if len(values) > len(fields):
            preview.errors.append(
                RowError(line, f"{len(values)} colonnes au lieu de {len(fields)} (séparateur dans une valeur sans guillemets ?).")
            )
            continue
        record = {f: v.strip() for f, v in zip(fields, values, strict=False) if f}
        problems = []
        reference = record.get("reference", "")
        title = record.get("title", "")
        if not reference:
            problems.append("référence manquante")
        elif len(reference) > 30:
            problems.append("référence trop longue (30 caractères maximum)")
        elif reference in existing:
            problems.append(f"la référence « {reference} » existe déjà dans le cahier")
        elif reference in seen:
            problems.append(f"la référence « {reference} » est déjà utilisée ligne {seen[reference]}")
        if not title:
            problems.append("titre manquant")
        elif len(title) > 200:
            problems.append("titre trop long (200 caractères maximum)")
        module = None
        if record.get("module"):
            module = modules.get(_norm(record["module"]))
            if module is None:
                problems.append(f"module « {record['module']} » inconnu")
        priority = PRIORITIES.get(_norm(record.get("priority", "")))
        if priority is None:
            problems.append(f"priorité « {record['priority']} » inconnue (haute, normale ou basse)")
        if reference and reference not in seen:
            seen[reference] = line
        if problems:
            text = "; ".join(problems)
            preview.errors.append(RowError(line, text[0].upper() + text[1:] + "."))
            continue
        preview.rows.append(
            CaseRow(
                line=line, reference=reference, title=title, steps=record.get("steps", ""),
                expected=record.get("expected", ""), module=module, priority=priority,
            )
        )
    if not preview.rows and not preview.errors:
        preview.errors.append(RowError(0, "Le fichier ne contient aucun cas (seulement l'en-tête)."))
    return preview

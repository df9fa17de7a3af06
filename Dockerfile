# Jalon — one image for web (gunicorn), worker and beat (Celery).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDIA_ROOT=/data/media

# WeasyPrint (PV de recette) needs Pango/HarfBuzz; DejaVu is the PDF fallback font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fontconfig \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 jalon \
 && mkdir -p /data/media && chown jalon:jalon /data/media

WORKDIR /app

# Dependencies first: this layer is reused as long as pyproject.toml does not change.
COPY pyproject.toml ./
RUN pip install .

COPY --chown=jalon:jalon . .

# Static files are collected into the image (WhiteNoise serves them with hashed names).
RUN SECRET_KEY=collectstatic-only DEBUG=0 STATIC_MANIFEST=1 python manage.py collectstatic --noinput \
 && chown -R jalon:jalon /app/staticfiles

USER jalon
EXPOSE 8000

CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile - --forwarded-allow-ips='*'"]

# One image for web, worker and beat; the command differs (docker-compose.yml).
# Production settings by default: DEBUG off, so the container needs SECRET_KEY (or SECRET_KEY_FILE)
# and refuses the demo data. The embedded mode is `make run`, not this image.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DEBUG=false SW_EMBEDDED=false
WORKDIR /app
COPY pyproject.toml README.md ./
COPY singlewindow ./singlewindow
COPY accounts ./accounts
COPY declarations ./declarations
COPY agencies ./agencies
COPY clearance ./clearance
COPY payments ./payments
RUN pip install .
COPY . .
# collectstatic writes the hashed names and the manifest the production storage serves. The settings
# need a key to load; this one lives only in this build step and signs nothing.
RUN SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 portal && chown -R portal /app
USER portal
EXPOSE 8000
CMD ["gunicorn", "singlewindow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]

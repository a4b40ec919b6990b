"""schema.org JSON-LD and Open Graph for each page, built from the views (not in templates)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from catalogue.outputs.embed import embedded_json
from catalogue.site import urls
from catalogue.content.model import Event, Product
from catalogue.site.views import EventView, Img, ProducerView, ProductView

SCHEMA = "https://schema.org"


def dumps(data: Mapping[str, Any]) -> str:
    """JSON safe inside <script> (see embed.py)."""
    return embedded_json(data)


def image_urls(base_url: str, images: Sequence[Img]) -> list[str]:
    return [urls.absolute(base_url, img.path) for img in images]


def product_ld(base_url: str, product: Product, view: ProductView, labels: Mapping[str, str]) -> dict[str, Any]:
    card = view.card
    page_url = urls.absolute(base_url, card.path)
    data: dict[str, Any] = {
        "@context": SCHEMA, "@type": "Product", "@id": page_url + "#product",
        "name": card.words.name, "description": card.words.summary, "url": page_url, "sku": product.slug,
        "category": card.category.text, "inLanguage": card.words.lang,
        "award": labels["award"],
    }
    if view.images:
        data["image"] = image_urls(base_url, view.images)
    if view.producer:
        producer = {"@type": "Organization", "name": view.producer.words.name,
                    "url": urls.absolute(base_url, view.producer.path)}
        data["brand"] = {"@type": "Brand", "name": view.producer.words.name}
        data["manufacturer"] = producer
    properties: list[dict[str, Any]] = []
    if product.hs_code:
        properties.append({"@type": "PropertyValue", "propertyID": "HS", "name": labels["hs_code"],
                           "value": product.hs_code})
    if product.shelf_life_days:
        properties.append({"@type": "PropertyValue", "name": labels["shelf_life"],
                           "value": product.shelf_life_days, "unitCode": "DAY", "unitText": view.shelf_life})
    for label in card.certifications:
        properties.append({"@type": "PropertyValue", "propertyID": "certification", "name": labels["certification"],
                           "value": label.text})
    properties.append({"@type": "PropertyValue", "propertyID": "OCOP", "name": "OCOP",
                       "value": product.ocop.stars, "minValue": 1, "maxValue": 5})
    data["additionalProperty"] = properties
    data["offers"] = _offers(base_url, product, view, page_url, labels["on_request"])
    return data


def _offers(base_url: str, product: Product, view: ProductView, page_url: str, on_request: str) -> list[dict[str, Any]]:
    """One Offer per pack size, and one for the product where it has none. A trade catalogue
    often quotes on request: an offer then says so in words, with who sells and the least
    quantity sold, and claims no price and no stock it does not know."""
    terms: dict[str, Any] = {"@type": "Offer", "url": page_url, "businessFunction": _SELL}
    if view.producer:
        terms["seller"] = {"@id": urls.absolute(base_url, view.producer.path) + "#organization"}
    if product.moq:
        terms["eligibleQuantity"] = {"@type": "QuantitativeValue", "minValue": _number(product.moq.quantity),
                                     "unitText": product.moq.unit}
    offers = []
    for variant in product.packaging or (None,):
        offer = {**terms, "name": variant.size} if variant is not None else dict(terms)
        price = variant.unit_price if variant is not None else None
        if price is not None:
            offer.update(price=_amount(price.amount), priceCurrency=price.currency, availability=f"{SCHEMA}/InStock")
        else:
            offer["description"] = on_request
        offers.append(offer)
    return offers


_SELL = "http://purl.org/goodrelations/v1#Sell"


def _number(value: Any) -> int | float:
    return int(value) if value == int(value) else float(value)


def _amount(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def organization_ld(base_url: str, view: ProducerView, district: str) -> dict[str, Any]:
    card = view.card
    page_url = urls.absolute(base_url, card.path)
    data: dict[str, Any] = {"@context": SCHEMA, "@type": "Organization", "@id": page_url + "#organization",
                            "name": card.words.name, "description": card.words.summary, "url": page_url}
    contact = view.contact
    if contact.phone:
        data["telephone"] = contact.phone
    if contact.email:
        data["email"] = contact.email
    if contact.website:
        data["sameAs"] = [contact.website]
    address: dict[str, Any] = {"@type": "PostalAddress", "addressRegion": district}
    if contact.address:
        address["streetAddress"] = str(contact.address)
    data["address"] = address
    if view.founded:
        data["foundingDate"] = str(view.founded_year)
    if view.products:
        data["makesOffer"] = [{"@type": "Offer", "itemOffered": {"@type": "Product", "name": p.words.name,
                                                                "url": urls.absolute(base_url, p.path)}}
                              for p in view.products]
    return data


def event_ld(base_url: str, event: Event, view: EventView, organizer_name: str | None) -> dict[str, Any]:
    card = view.card
    page_url = urls.absolute(base_url, card.path)
    online = event.location.online
    data: dict[str, Any] = {
        "@context": SCHEMA, "@type": "Event", "@id": page_url + "#event",
        "name": card.words.name, "description": card.words.summary, "url": page_url,
        "startDate": event.start.value.isoformat(),
        "eventStatus": f"{SCHEMA}/EventScheduled",
        "eventAttendanceMode": f"{SCHEMA}/{'Online' if online else 'Offline'}EventAttendanceMode",
        "inLanguage": card.words.lang,
    }
    if event.end is not None:
        data["endDate"] = event.end.value.isoformat()
    if online:
        data["location"] = {"@type": "VirtualLocation", "url": event.location.url or page_url}
    else:
        data["location"] = {"@type": "Place", "name": view.venue,
                            "address": {"@type": "PostalAddress", "addressLocality": view.city,
                                        "addressCountry": view.country}}
    if organizer_name:
        data["organizer"] = {"@type": "Organization", "name": organizer_name}
    if view.products:
        data["about"] = [{"@type": "Product", "name": p.words.name, "url": urls.absolute(base_url, p.path)}
                         for p in view.products]
    return data


def breadcrumbs_ld(base_url: str, trail: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"@context": SCHEMA, "@type": "BreadcrumbList",
            "itemListElement": [{"@type": "ListItem", "position": i, "name": name,
                                 "item": urls.absolute(base_url, path)}
                                for i, (name, path) in enumerate(trail, 1)]}
